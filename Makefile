# acsquirk: `make run` runs the main job, `make test` runs every test, `make install` installs it.
# They install what is missing first (Debian packages when run as root; otherwise the exact
# apt-get command is printed and make stops).

SWIFT        ?= swift
CONFIG       ?= debug
BIN           = .build/$(CONFIG)/acsquirk
OUT          ?= out
KERNEL_TREE  ?=
ACSQUIRK_CACHE ?= $(HOME)/.cache/acsquirk
export ACSQUIRK_CACHE

# Packages every target needs: libpci (headers + library), lspci, the pci.ids database, graphviz
# (the pictures of `groups --format svg|png` and of out/index.html).
BASE_PACKAGES = libpci-dev pciutils pci.ids graphviz
# Packages the tests also need: kernel sources and what compiling drivers/pci/quirks.o takes
# (PROVE_PACKAGES has the compiler), Chromium (the HTML report rendered headless), python3-jsonschema
# (JSON outputs validated against docs/schemas), and what the boot proof runs.
# The boot proof (make prove, and its tests in make test): QEMU and the guest's busybox, kmod, xz
# and zstd (scripts/oracle), gcc-12 (Debian's 6.12 kernel is built with it: the module route),
# a kernel build (the in-tree route: build-essential flex bison bc libelf-dev).
PROVE_PACKAGES = qemu-system-x86 busybox-static kmod xz-utils zstd gcc-12 build-essential flex bison bc libelf-dev git
TEST_PACKAGES = linux-source-6.12 linux-source-6.1 libssl-dev perl chromium python3-jsonschema $(PROVE_PACKAGES)
# The kernel series the tests use (scripts/kernel-trees.sh: the installed package's version of each).
KERNEL_SERIES = 6.12 6.1

# Where `make install` puts things (DESTDIR for packaging: files go to $(DESTDIR)$(PREFIX)/...).
PREFIX       ?= /usr/local
DESTDIR      ?=
# The installed layout, relative to PREFIX. The binary finds share/acsquirk from its own path
# (Sources/Registry/ProjectResources.swift), so the tree works under any PREFIX.
LAYOUT_BIN    = bin/acsquirk
LAYOUT_DATA   = share/acsquirk
LAYOUT_MAN    = share/man/man1/acsquirk.1
LAYOUT_BASH   = share/bash-completion/completions/acsquirk
LAYOUT_ZSH    = share/zsh/site-functions/_acsquirk
LAYOUT_FISH   = share/fish/vendor_completions.d/acsquirk.fish
RELEASE_BIN   = .build/release/acsquirk
# The installed tree is assembled here first; install copies it, dist packs it.
STAGE         = .build/stage
MANUAL        = .build/plugins/GenerateManual/outputs/acsquirk/acsquirk.1
MANUAL_DATE  := $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)
ARCH         := $(shell uname -m)

.PHONY: all build run run-check test deps test-deps kernel-trees kernel-versions lint-registry bench fuzz clean \
        release stage install uninstall dist install-check oracle-fixtures oracle-check prove

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
RUN_FILES = summary.txt scan.txt scan.json check.txt check.json groups.txt groups.json groups.dot groups.svg index.html \
            acs-tables/acs-table-8086-82576.h
run-check:
	rm -rf $(RUN_CHECK_OUT)
	$(MAKE) --no-print-directory run OUT=$(RUN_CHECK_OUT) > $(RUN_CHECK_OUT).log 2>&1 || { cat $(RUN_CHECK_OUT).log; exit 1; }
	@for f in $(RUN_FILES); do for d in $(RUN_CHECK_OUT) $(RUN_CHECK_OUT)/example; do \
	  test -s $$d/$$f || { echo "make run did not write $$d/$$f"; exit 1; }; done; done
	@echo "make run: exit 0, expected files written"

# Unpacks the installed linux-source-6.12/6.1 into $(ACSQUIRK_CACHE), keyed on the package version.
kernel-trees: test-deps
	@scripts/kernel-trees.sh $(KERNEL_SERIES)

# The kernel-tree tests on every linux-source-6.12/6.1 version the archive serves (or
# VERSIONS="6.12=6.12.117-1 ..."), each downloaded into a scratch folder; the system's packages
# are not touched. Takes about 7 minutes per version.
kernel-versions: test-deps
	$(SWIFT) build --build-tests
	scripts/kernel-versions.sh $(VERSIONS)

lint-registry: build
	$(BIN) lint --strict quirks

# `make install` into a scratch folder (DESTDIR, PREFIX=/acsquirk) before the Swift tests;
# InstalledTests copies that tree elsewhere and runs it from / with no Swift toolchain on PATH.
INSTALL_CHECK = $(CURDIR)/.build/install-check
install-check:
	rm -rf $(INSTALL_CHECK)
	$(MAKE) --no-print-directory install dist PREFIX=/acsquirk DESTDIR=$(INSTALL_CHECK) DIST=$(INSTALL_CHECK)/dist

test: test-deps install-check
	$(SWIFT) build --build-tests
	ACSQUIRK_INSTALLED=$(INSTALL_CHECK) scripts/kernel-trees.sh $(KERNEL_SERIES) -- $(SWIFT) test --skip-build
	$(MAKE) --no-print-directory lint-registry
	$(MAKE) --no-print-directory run-check

# The release build: the Swift runtime and Foundation linked in, so a binary needs only libpci
# and glibc from the system (and pci.ids for names); a release build finds its registry only
# next to itself, through $ACSQUIRK_HOME or in a checkout it sits in (Package.swift). The one
# place these settings live: `make install`, `make dist` and `make bench` all build with them.
RELEASE_BUILD = $(SWIFT) build -c release --static-swift-stdlib

release: deps
	$(RELEASE_BUILD) --product acsquirk

# The man page, from the command line itself: swift-argument-parser's generate-manual plugin. It
# builds the package and reads the binary's help; the debug configuration, because a release build
# by the plugin would relink .build/release/acsquirk without --static-swift-stdlib.
$(MANUAL): release
	$(SWIFT) package generate-manual --configuration debug --date $(MANUAL_DATE) >/dev/null

# The installed tree under $(STAGE): binary, registry, templates, man page, shell completions.
stage: release $(MANUAL)
	rm -rf $(STAGE)
	install -d $(STAGE)/bin $(STAGE)/$(LAYOUT_DATA) $(dir $(STAGE)/$(LAYOUT_MAN)) $(dir $(STAGE)/$(LAYOUT_BASH)) \
	  $(dir $(STAGE)/$(LAYOUT_ZSH)) $(dir $(STAGE)/$(LAYOUT_FISH))
	install -s -m 0755 $(RELEASE_BIN) $(STAGE)/$(LAYOUT_BIN)
	cp -R quirks templates $(STAGE)/$(LAYOUT_DATA)/
	install -m 0644 $(MANUAL) $(STAGE)/$(LAYOUT_MAN)
	$(RELEASE_BIN) --generate-completion-script bash > $(STAGE)/$(LAYOUT_BASH)
	$(RELEASE_BIN) --generate-completion-script zsh > $(STAGE)/$(LAYOUT_ZSH)
	$(RELEASE_BIN) --generate-completion-script fish > $(STAGE)/$(LAYOUT_FISH)
	@if ldd $(STAGE)/$(LAYOUT_BIN) | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime'; then \
	  echo "$(RELEASE_BIN) links the Swift runtime dynamically" >&2; exit 1; fi

# Copies the staged tree to $(DESTDIR)$(PREFIX); share/acsquirk is replaced whole (staged, then
# renamed), so entries removed from the registry do not linger.
install: stage
	install -d $(DESTDIR)$(PREFIX)
	rm -rf $(DESTDIR)$(PREFIX)/$(LAYOUT_DATA).new
	cd $(STAGE) && for f in $(LAYOUT_BIN) $(LAYOUT_MAN) $(LAYOUT_BASH) $(LAYOUT_ZSH) $(LAYOUT_FISH); do \
	  install -D -m $$(if [ $$f = $(LAYOUT_BIN) ]; then echo 0755; else echo 0644; fi) $$f $(DESTDIR)$(PREFIX)/$$f || exit 1; done
	cp -R $(STAGE)/$(LAYOUT_DATA) $(DESTDIR)$(PREFIX)/$(LAYOUT_DATA).new
	rm -rf $(DESTDIR)$(PREFIX)/$(LAYOUT_DATA)
	mv $(DESTDIR)$(PREFIX)/$(LAYOUT_DATA).new $(DESTDIR)$(PREFIX)/$(LAYOUT_DATA)
	@echo "installed acsquirk into $(DESTDIR)$(PREFIX) (bin/acsquirk, $(LAYOUT_DATA)/, man page, bash/zsh/fish completions)"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(LAYOUT_BIN) $(LAYOUT_MAN) $(LAYOUT_BASH) $(LAYOUT_ZSH) $(LAYOUT_FISH))
	rm -rf $(DESTDIR)$(PREFIX)/$(LAYOUT_DATA)

# A tarball of the installed tree, for a machine without Swift: unpack it into any PREFIX
# (`tar -xzf acsquirk-….tar.gz -C /usr/local --strip-components=1`).
DIST ?= dist
dist: stage
	@version=$$($(RELEASE_BIN) --version) && name=acsquirk-$$version-linux-$(ARCH) && mkdir -p $(DIST) && \
	  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$(MANUAL_DATE) 00:00Z" \
	    --transform "s,^\.,$$name," -C $(STAGE) -cf - . | gzip -n > $(DIST)/$$name.tar.gz.tmp && \
	  mv $(DIST)/$$name.tar.gz.tmp $(DIST)/$$name.tar.gz && echo "wrote $(DIST)/$$name.tar.gz"

# Release builds with the Swift runtime linked in, as `make install` ships acsquirk: the
# benchmark compares that binary's CPU time with lspci's on the same dumps.
bench: deps
	@scripts/ensure-packages.sh linux-source-6.12
	$(RELEASE_BUILD) --product acsquirk-bench
	$(RELEASE_BUILD) --product acsquirk
	scripts/kernel-trees.sh 6.12 -- .build/release/acsquirk-bench --acsquirk .build/release/acsquirk

# Fuzzing for longer than `make test` does: libFuzzer (coverage-guided, with AddressSanitizer)
# on each target for FUZZ_SECONDS; where that build fails, the seeded runner for as long.
# What either finds lands in Tests/Fixtures/fuzz/<target>/ (FuzzTests then replays it).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= dump config yaml
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
	  $(RELEASE_BUILD) --product acsquirk-fuzz || exit 1; \
	  for t in $(FUZZ_TARGETS); do \
	    mkdir -p Tests/Fixtures/fuzz/$$t; \
	    .build/release/acsquirk-fuzz $$t --seed $${FUZZ_SEED:-$$(date +%s)} --iterations 1000000000 \
	      --seconds $(FUZZ_SECONDS) --findings Tests/Fixtures/fuzz/$$t --current Tests/Fixtures/fuzz/$$t/crash-current \
	      || exit 1; \
	  done; \
	fi

# The QEMU oracle (scripts/oracle/README.md): boot Debian's kernels again for every fixture in
# Tests/Fixtures/qemu* and rewrite (oracle-fixtures) or compare (oracle-check) what they said.
# Not part of `make test`, which reads the committed files (it boots only the proof, make prove).
oracle-fixtures:
	scripts/oracle/fixtures.sh

oracle-check:
	scripts/oracle/fixtures.sh --check

# Generated quirks proven in booted kernels (docs/prove.md): every case of Tests/Fixtures/prove,
# module route and in-tree route, on Debian's linux-source-6.12 or KERNEL_TREE. Report on stdout
# and in .build/prove/report.txt; exit 1 when a case is not proven. PROVE_ARGS passes options
# (--route module|tree, case names, --pin, --jobs N, --timeout S).
prove: test-deps kernel-trees
	$(SWIFT) build --product acsquirk
	$(SWIFT) build --product acsquirk-prove
	.build/debug/acsquirk-prove $(if $(KERNEL_TREE),--kernel-tree $(KERNEL_TREE),) $(PROVE_ARGS)

clean:
	rm -rf .build $(FUZZ_BUILD) $(OUT) dist
