import Foundation
import PCIAccess
import PCIConfig
import Registry
import TestSupport
@testable import LinuxPCI

func show(_ p: [[PCIAddress]]) -> String {
    p.map { "{" + $0.map(\.shortDescription).joined(separator: " ") + "}" }.joined(separator: " ")
}

/// Reads a dump fixture through libpci.
func functions(_ relative: String) throws -> [PCIFunction] {
    try PCIReader.read(.dump(path: Fixtures.path(relative)), names: false)
}

func predict(_ relative: String, kernel: KernelProfile = .newest, assumeIOMMU: Bool = false,
             extra: [QuirkEntry] = [], pchFails: Bool = false) throws -> GroupPrediction {
    let table = try KernelTable.table().consultingFirst(extra)
    return GroupPredictor.predict(try functions(relative), quirks: table,
                                  system: LinuxSystem(kernel: kernel, assumeIOMMU: assumeIOMMU,
                                                             pchWorkaroundFails: pchFails))
}

extension GroupPrediction {
    /// The group containing `bdf` (short or long form) as sorted short addresses.
    func groupOf(_ bdf: String) -> [String] {
        guard let a = PCIAddress(bdf), let i = tree.index(of: a) else { return [] }
        let n = groupNumber[i]
        return groups[n].members.sorted { tree.functions[$0].address < tree.functions[$1].address }.map { name($0) }
    }
}
