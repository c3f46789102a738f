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
        // renameat2(2) for SafeFiles (Swift's Glibc module does not declare it).
        .target(name: "CFileShim"),
        // Every file acsquirk writes: regular files or new paths only (special files and links
        // refused), staged and renamed, a folder's outputs together or not at all; errors in words.
        .target(name: "SafeFiles", dependencies: ["CFileShim"]),
        // Pure value types: addresses, config space, capabilities, ACS. No I/O.
        .target(name: "PCIConfig"),
        // One Diagnostic (severity, location, rule, message) for every producer, its collectors and
        // one reporter per format: text, GitHub workflow commands, SARIF 2.1.0.
        .target(name: "Diagnostics", dependencies: ["PCIConfig"]),
        // Config space from the live system (sysfs) or an `lspci -xxxx` dump, through libpci.
        .target(name: "PCIAccess", dependencies: ["CPCIShim", "PCIConfig", "Diagnostics"]),
        // The quirk registry: schema, YAML loading with locations, lint. No libpci: vendor names
        // for lint are passed in.
        // A release build is what `make install` and `make dist` ship: it finds its registry next
        // to itself (share/acsquirk), through $ACSQUIRK_HOME or in the checkout it sits in, never
        // through the path of the checkout it was compiled from (ProjectResources.buildCheckout).
        .target(name: "Registry", dependencies: [
            "PCIConfig", "Diagnostics", "SafeFiles",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: [.define("ACSQUIRK_RELOCATABLE", .when(configuration: .release))]),
        // Linux's model: the device as Linux sees it (pci_dev), ACS (pci_acs_enabled, pci_enable_acs),
        // the quirk table walk with its trace, DMA aliases and pci_device_group(), kernel profiles.
        .target(name: "LinuxPCI", dependencies: ["PCIConfig", "Registry"]),
        // drivers/pci/quirks.c read once (the one reader), kernel import, C quirk stubs, patches.
        .target(name: "KernelOutput", dependencies: [
            "Registry", "LinuxPCI", "PCIConfig", "Diagnostics", "SafeFiles",
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // ACS extended capability bytes and their placement.
        .target(name: "StaticACS", dependencies: ["PCIConfig", "LinuxPCI", "Diagnostics", "SafeFiles"]),
        // Registry against devices (check), IOMMU groups reports (groups), scaffolding (new), the
        // whole pipeline (run), the HTML report and pictures through graphviz.
        .target(name: "Pipeline", dependencies: [
            "PCIConfig", "Diagnostics", "PCIAccess", "Registry", "LinuxPCI", "KernelOutput", "StaticACS", "SafeFiles",
            .product(name: "Subprocess", package: "swift-subprocess"),
        ]),
        .executableTarget(name: "acsquirk", dependencies: [
            "PCIConfig", "Diagnostics", "PCIAccess", "Registry", "LinuxPCI", "KernelOutput", "StaticACS", "Pipeline", "SafeFiles",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Rainbow", package: "Rainbow"),
        ]),
        .executableTarget(name: "acsquirk-bench", dependencies: ["PCIConfig", "PCIAccess", "LinuxPCI", "Registry", "KernelOutput",
                                                                 "SafeFiles"],
                          path: "Benchmarks/acsquirk-bench"),
        // Generated quirks proven in booted kernels under QEMU (make prove; scripts/oracle).
        .target(name: "BootProof", dependencies: [
            "PCIConfig", "PCIAccess", "Registry", "LinuxPCI", "KernelOutput", "Pipeline", "SafeFiles",
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .executableTarget(name: "acsquirk-prove", dependencies: [
            "BootProof", "Registry", "SafeFiles",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Fuzz targets (parsers and decoders on mutated inputs), the seeded runner and libFuzzer's
        // entry point (`make fuzz`).
        .target(name: "FuzzKit", dependencies: ["PCIAccess", "PCIConfig", "Diagnostics", "Registry"], path: "Fuzz/FuzzKit"),
        .target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"),
        .executableTarget(name: "acsquirk-fuzz", dependencies: ["FuzzKit", "CFuzzDriver"], path: "Fuzz/acsquirk-fuzz"),

        .target(name: "TestSupport", dependencies: [
            "PCIConfig", "LinuxPCI",
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "FixtureTests", dependencies: ["PCIConfig", "TestSupport"]),
        .testTarget(name: "PCIConfigTests", dependencies: ["PCIConfig", "TestSupport"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics", "TestSupport"]),
        .testTarget(name: "PCIAccessTests", dependencies: ["PCIAccess", "PCIConfig", "Diagnostics", "FuzzKit", "TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzKit", "TestSupport"]),
        .testTarget(name: "SafeFilesTests", dependencies: ["SafeFiles", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "Diagnostics", "PCIAccess", "PCIConfig", "TestSupport"]),
        .testTarget(name: "LinuxPCITests", dependencies: [
            "LinuxPCI", "Pipeline", "StaticACS", "Registry", "PCIAccess", "PCIConfig", "Diagnostics", "TestSupport",
        ]),
        .testTarget(name: "KernelOutputTests", dependencies: ["KernelOutput", "Diagnostics", "LinuxPCI", "Registry", "PCIAccess", "SafeFiles", "TestSupport"]),
        .testTarget(name: "StaticACSTests", dependencies: [
            "StaticACS", "Pipeline", "PCIAccess", "PCIConfig", "Registry", "LinuxPCI", "Diagnostics", "TestSupport",
        ]),
        .testTarget(name: "BootProofTests", dependencies: [
            "BootProof", "KernelOutput", "Registry", "LinuxPCI", "PCIAccess", "PCIConfig", "TestSupport",
        ]),
        .testTarget(name: "PipelineTests", dependencies: [
            "Pipeline", "Diagnostics", "KernelOutput", "Registry", "LinuxPCI", "PCIAccess", "PCIConfig", "StaticACS", "SafeFiles", "TestSupport",
        ]),
    ]
)
