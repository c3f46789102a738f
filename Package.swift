// swift-tools-version: 6.2
// acsquirk: a registry of vendor-confirmed PCIe isolation facts, checked against live
// config space through libpci and turned into Linux ACS quirks, static ACS tables and patches.
import PackageDescription

let package = Package(
    name: "acsquirk",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "acsquirk", targets: ["acsquirk"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/onevcat/Rainbow", from: "4.2.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // libpci's headers and library (Debian: libpci-dev).
        .systemLibrary(name: "CLibPCI", pkgConfig: "libpci", providers: [.apt(["libpci-dev"])]),
        // A real C target: libpci calls wrapped so that the fatal error hook longjmps back.
        .target(name: "CPCIShim", dependencies: ["CLibPCI"]),
        // Pure value types: addresses, config space, capabilities, ACS. No I/O.
        .target(name: "PCIConfig"),
        // Config space from the live system (sysfs) or an `lspci -xxxx` dump, through libpci.
        .target(name: "PCIAccess", dependencies: ["CPCIShim", "PCIConfig"]),
        // The quirk registry: schema, YAML loading with locations, lint.
        // A release build is what `make install` and `make dist` ship: it finds its registry next
        // to itself (share/acsquirk), through $ACSQUIRK_HOME or in the checkout it sits in, never
        // through the path of the checkout it was compiled from (ProjectResources.buildCheckout).
        .target(name: "Registry", dependencies: [
            "PCIConfig", "PCIAccess",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: [.define("ACSQUIRK_RELOCATABLE", .when(configuration: .release))]),
        // Bus tree and Linux's pci_device_group(), step by step.
        .target(name: "Topology", dependencies: ["PCIConfig", "Registry"]),
        // drivers/pci/quirks.c read once (the one reader), kernel import, C quirk stubs, patches.
        .target(name: "KernelOutput", dependencies: [
            "Registry", "PCIConfig",
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // ACS extended capability bytes and their placement.
        .target(name: "StaticACS", dependencies: ["PCIConfig", "PCIAccess", "Registry"]),
        // Registry against devices (check), scaffolding (new), the whole pipeline (run).
        .target(name: "Pipeline", dependencies: [
            "PCIConfig", "PCIAccess", "Registry", "Topology", "KernelOutput", "StaticACS",
        ]),
        .executableTarget(name: "acsquirk", dependencies: [
            "PCIConfig", "PCIAccess", "Registry", "Topology", "KernelOutput", "StaticACS", "Pipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Rainbow", package: "Rainbow"),
        ]),
        .executableTarget(name: "acsquirk-bench", dependencies: ["PCIConfig", "PCIAccess", "Topology", "Registry", "KernelOutput"],
                          path: "Benchmarks/acsquirk-bench"),
        // Generated quirks proven in booted kernels under QEMU (make prove; scripts/oracle).
        .target(name: "BootProof", dependencies: [
            "PCIConfig", "PCIAccess", "Registry", "Topology", "KernelOutput",
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .executableTarget(name: "acsquirk-prove", dependencies: [
            "BootProof", "Registry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Fuzz targets (parsers and decoders on mutated inputs), the seeded runner and libFuzzer's
        // entry point (`make fuzz`).
        .target(name: "FuzzKit", dependencies: ["PCIAccess", "PCIConfig"], path: "Fuzz/FuzzKit"),
        .target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"),
        .executableTarget(name: "acsquirk-fuzz", dependencies: ["FuzzKit", "CFuzzDriver"], path: "Fuzz/acsquirk-fuzz"),

        .target(name: "TestSupport", dependencies: [
            "PCIConfig", "Topology",
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "FixtureTests", dependencies: ["PCIConfig", "TestSupport"]),
        .testTarget(name: "PCIConfigTests", dependencies: ["PCIConfig", "TestSupport"]),
        .testTarget(name: "PCIAccessTests", dependencies: ["PCIAccess", "PCIConfig", "FuzzKit", "TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzKit", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "PCIConfig", "TestSupport"]),
        .testTarget(name: "TopologyTests", dependencies: ["Topology", "Registry", "PCIAccess", "PCIConfig", "TestSupport"]),
        .testTarget(name: "KernelOutputTests", dependencies: ["KernelOutput", "Registry", "TestSupport"]),
        .testTarget(name: "StaticACSTests", dependencies: [
            "StaticACS", "PCIAccess", "PCIConfig", "Registry", "Topology", "TestSupport",
        ]),
        .testTarget(name: "BootProofTests", dependencies: [
            "BootProof", "KernelOutput", "Registry", "Topology", "PCIAccess", "PCIConfig", "TestSupport",
        ]),
        .testTarget(name: "PipelineTests", dependencies: [
            "Pipeline", "KernelOutput", "Registry", "Topology", "PCIAccess", "PCIConfig", "StaticACS", "TestSupport",
        ]),
    ]
)
