# acsquirk: `make run` runs the main job, `make test` runs every test.
# Both install what is missing first (Debian packages when run as root; otherwise the exact
# apt-get command is printed and make stops).

SWIFT        ?= swift
CONFIG       ?= debug
BIN           = .build/$(CONFIG)/acsquirk
OUT          ?= out
KERNEL_TREE  ?=
ACSQUIRK_CACHE ?= $(HOME)/.cache/acsquirk
export ACSQUIRK_CACHE

# Packages every target needs: libpci (headers + library), lspci, the pci.ids database.
BASE_PACKAGES = libpci-dev pciutils pci.ids
# Packages the tests also need: kernel sources and what compiling drivers/pci/quirks.o takes,
# graphviz for the DOT test.
TEST_PACKAGES = linux-source-6.12 linux-source-6.1 build-essential flex bison bc libelf-dev libssl-dev graphviz git perl

.PHONY: all build run run-check test deps test-deps kernel-trees lint-registry bench fuzz clean oracle-fixtures oracle-check

all: build

deps:
	@scripts/ensure-packages.sh $(BASE_PACKAGES)

test-deps: deps
	@scripts/ensure-packages.sh $(TEST_PACKAGES)

build: deps
	$(SWIFT) build -c $(CONFIG) --product acsquirk

# A bundled real dump for the second half of `make run`: a Sandy Bridge desktop with a
# PCIe-to-PCI bridge, Intel PCH root ports (quirked) and a CPU root port without ACS.
EXAMPLE_DUMP ?= Tests/Fixtures/machines/snb-h67-pcie-pci-bridge-saa7134/dump.txt

# The main job: the whole pipeline on the shipped registry and this machine, then on a real dump.
run: build
	$(BIN) run --out $(OUT) $(if $(KERNEL_TREE),--kernel-tree $(KERNEL_TREE),) $(if $(FROM),--from "$(FROM)",)
	$(BIN) run --dump $(EXAMPLE_DUMP) --out $(OUT)/example $(if $(KERNEL_TREE),--kernel-tree $(KERNEL_TREE),) $(if $(FROM),--from "$(FROM)",)

# `make run` on this checkout, into a scratch folder, and the files it must write.
RUN_CHECK_OUT = .build/run-check
RUN_FILES = summary.txt scan.txt scan.json check.txt check.json groups.txt groups.json acs-tables/acs-table-8086-82576.h
run-check:
	rm -rf $(RUN_CHECK_OUT)
	$(MAKE) --no-print-directory run OUT=$(RUN_CHECK_OUT) > $(RUN_CHECK_OUT).log 2>&1 || { cat $(RUN_CHECK_OUT).log; exit 1; }
	@for f in $(RUN_FILES); do for d in $(RUN_CHECK_OUT) $(RUN_CHECK_OUT)/example; do \
	  test -s $$d/$$f || { echo "make run did not write $$d/$$f"; exit 1; }; done; done
	@echo "make run: exit 0, expected files written"

kernel-trees: test-deps
	@scripts/kernel-trees.sh 6.12 6.1

lint-registry: build
	$(BIN) lint quirks

test: test-deps kernel-trees
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory lint-registry
	$(MAKE) --no-print-directory run-check

# Release builds with the Swift runtime linked in, as `make install` ships acsquirk: the
# benchmark compares that binary's CPU time with lspci's on the same dumps.
bench: deps
	$(SWIFT) build -c release --static-swift-stdlib --product acsquirk-bench
	$(SWIFT) build -c release --static-swift-stdlib --product acsquirk
	.build/release/acsquirk-bench --acsquirk .build/release/acsquirk

# Fuzzing for longer than `make test` does: libFuzzer (coverage-guided, with AddressSanitizer)
# on each target for FUZZ_SECONDS; where that build fails, the seeded runner for as long.
# What either finds lands in Tests/Fixtures/fuzz/<target>/ (FuzzTests then replays it).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= dump config
FUZZ_BUILD    = .build-fuzz
fuzz: deps
	@if $(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --product acsquirk-fuzz \
	    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DLIBFUZZER -Xswiftc -use-ld=lld; then \
	  for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t Tests/Fixtures/fuzz/$$t; \
	    SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)/release/acsquirk-fuzz $$t -max_total_time=$(FUZZ_SECONDS) \
	      -max_len=65536 -artifact_prefix=Tests/Fixtures/fuzz/$$t/ $(FUZZ_BUILD)/corpus/$$t Tests/Fixtures/fuzz/$$t \
	      || exit 1; \
	  done; \
	else \
	  echo "make fuzz: no libFuzzer build; running the seeded fuzzer for $(FUZZ_SECONDS) s per target"; \
	  $(SWIFT) build -c release --product acsquirk-fuzz || exit 1; \
	  for t in $(FUZZ_TARGETS); do \
	    mkdir -p Tests/Fixtures/fuzz/$$t; \
	    .build/release/acsquirk-fuzz $$t --seed $${FUZZ_SEED:-$$(date +%s)} --iterations 1000000000 \
	      --seconds $(FUZZ_SECONDS) --findings Tests/Fixtures/fuzz/$$t --current Tests/Fixtures/fuzz/$$t/crash-current \
	      || exit 1; \
	  done; \
	fi

# The QEMU oracle (scripts/oracle/README.md): boot Debian's kernels again for every fixture in
# Tests/Fixtures/qemu* and rewrite (oracle-fixtures) or compare (oracle-check) what they said.
# Not part of `make test`, which reads the committed files.
oracle-fixtures:
	scripts/oracle/fixtures.sh

oracle-check:
	scripts/oracle/fixtures.sh --check

clean:
	rm -rf .build $(FUZZ_BUILD) $(OUT)
