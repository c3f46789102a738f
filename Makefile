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

.PHONY: all build run test deps test-deps kernel-trees lint-registry bench clean

all: build

deps:
	@scripts/ensure-packages.sh $(BASE_PACKAGES)

test-deps: deps
	@scripts/ensure-packages.sh $(TEST_PACKAGES)

build: deps
	$(SWIFT) build -c $(CONFIG) --product acsquirk

# The main job: the whole pipeline on the shipped registry and this machine.
run: build
	$(BIN) run --out $(OUT) $(if $(KERNEL_TREE),--kernel-tree $(KERNEL_TREE),)

kernel-trees: test-deps
	@scripts/kernel-trees.sh 6.12 6.1

lint-registry: build
	$(BIN) lint quirks

test: test-deps kernel-trees
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory lint-registry

bench: deps
	$(SWIFT) build -c release --product acsquirk-bench
	.build/release/acsquirk-bench

clean:
	rm -rf .build $(OUT)
