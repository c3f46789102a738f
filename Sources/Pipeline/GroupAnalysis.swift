import PCIAccess
import PCIConfig
import Registry

/// The part of the check that needs the group predictor (module Topology): Linux's view of each
/// function, which kernel row decides, the what-if effect of an entry, the devices without an
/// entry. Without it (this file's state until Topology lands) the check covers conditions and ACS.
struct GroupAnalysis {
    let functions: [PCIFunction]
    let entries: [LoadedEntry]
    let options: CheckOptions
    let tree: PCIConfig.PCIBusTree
    var platform: PlatformFacts { PlatformFacts(amdIVRS: options.amdIVRS) }
    var kernelName: String? { nil }
    var notes: [String] { [] }

    init(functions: [PCIFunction], entries: [LoadedEntry], options: CheckOptions) {
        self.functions = functions
        self.entries = entries
        self.options = options
        self.tree = PCIConfig.PCIBusTree(functions)
    }

    func view(of f: PCIFunction) -> FunctionView { FunctionView(f, tree: tree) }

    func explain(_ why: ACSStatus.UnknownReason) -> String { why.description }

    func examine(_ le: LoadedEntry, _ v: FunctionView, into c: inout EntryFunctionCheck, findings: inout [CheckFinding],
                 who: String, devicesField: String) {}

    func uncovered(index: RegistryIndex) -> [UncoveredDevice] { [] }
}
