import Foundation
import PCIAccess
import PCIConfig
import Registry
import TestSupport
@testable import LinuxPCI

/// `<group> <BDF>` lines (from /sys/kernel/iommu_groups) as group number by address.
func readGroups(_ relative: String) throws -> [PCIAddress: Int] {
    var out: [PCIAddress: Int] = [:]
    for line in try Fixtures.text(relative).split(separator: "\n") where !line.isEmpty {
        let parts = line.split(separator: " ")
        if parts.count == 2, let n = Int(parts[0]), let a = PCIAddress(parts[1]) {
            out[a] = n
            continue
        }
        // `/sys/kernel/iommu_groups/<n>/devices/<BDF>` (find output).
        let path = line.split(separator: "/")
        guard path.count == 6, path[2] == "iommu_groups", let n = Int(path[3]), let a = PCIAddress(path[5]) else {
            throw HelperError.badLine(relative, String(line))
        }
        out[a] = n
    }
    return out
}

enum HelperError: Error { case badLine(String, String) }

/// Sets of addresses, each sorted, sorted by first member.
func partition(_ numbers: [PCIAddress: Int]) -> [[PCIAddress]] {
    Dictionary(grouping: numbers.keys, by: { numbers[$0]! }).values.map { $0.sorted() }.sorted { $0[0] < $1[0] }
}

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
