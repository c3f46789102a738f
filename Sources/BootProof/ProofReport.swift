import Foundation
import LinuxPCI
import PCIConfig

/// The report `make prove` prints: per case and route the predicted and booted groups of every
/// state, whether they are equal, the controls, and the verdict.
public enum ProofReport {
    /// Groups as `N{bb:dd.f …}` in number order (`{…}` only when the numbers are not compared);
    /// the domain is left out when it is 0000.
    public static func groups(_ numbers: [PCIAddress: Int], numbered: Bool = true) -> String {
        func short(_ a: PCIAddress) -> String {
            let s = a.description
            return s.hasPrefix("0000:") ? String(s.dropFirst(5)) : s
        }
        if !numbered {
            return LiveGroups.partition(numbers).map { "{" + $0.map(short).joined(separator: " ") + "}" }.joined(separator: " ")
        }
        let byNumber = Dictionary(grouping: numbers.keys, by: { numbers[$0]! })
        return byNumber.keys.sorted().map { n in "\(n){" + byNumber[n]!.sorted().map(short).joined(separator: " ") + "}" }
            .joined(separator: " ")
    }

    /// The text for one case.
    public static func text(_ p: CaseProof) -> String {
        var out = "case \(p.proofCase.name): \(p.proven ? "PROVEN" : "NOT PROVEN")\n"
        for s in p.proofCase.summary { out += "  # \(s)\n" }
        out += "  series (acsquirk patch, git am onto drivers/pci/quirks.c):\n"
        for patch in p.patches { out += "    \((patch as NSString).lastPathComponent)\n" }
        for r in p.routes {
            out += "  \(r.route) route: \(r.kernel)\n"
            if r.route == .module {
                out += "    module rows (from the patched quirks.c, lines \(p.module.rows.map { String($0.line) }.joined(separator: ", "))): "
                    + p.module.rows.map { "{ \($0.vendorToken), \($0.deviceToken), \($0.function) }" }.joined(separator: ", ") + "\n"
            }
            for c in r.without + [r.with] {
                let how = c.numbersCompared ? "numbers and partition" : "partition; a rescan numbers groups anew"
                out += "    \(c.state)\n"
                out += "      predicted  \(groups(c.predicted, numbered: c.numbersCompared))\n"
                out += "      booted     \(groups(c.booted, numbered: c.numbersCompared))\n"
                out += "      \(c.equal ? "equal" : "DIFFERENT") (\(how))\n"
            }
            for c in r.controls {
                out += "    control {\(c.members.map(\.description).joined(separator: " "))}: "
                    + (c.unchanged ? "one group in every booted state" : "CHANGED") + "\n"
            }
            out += "    the series \(r.splits ? "split" : "did NOT split") a group in the booted kernel; \(r.route) route "
                + (r.proven ? "proven" : "NOT proven") + " (\(r.directory))\n"
        }
        return out
    }
}
