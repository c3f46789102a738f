import Diagnostics
import Registry

/// The rows a patch series added to `pci_dev_acs_enabled[]`, and every function and ID array they
/// reach, copied verbatim from the patched drivers/pci/quirks.c, as the `generated.h` that
/// scripts/oracle/modules/acs-quirk compiles into a kprobe module for a stock kernel. This is the
/// module route of `make prove`: what runs in the booted kernel is the patch's own code, read from
/// the file `git am` wrote, never a second rendering of the entry.
///
/// The module answers only where the kernel's table returned `-ENOTTY`, as rows appended to the
/// table would; the rows' place in the table is proven by the in-tree route (a kernel built
/// from the patched tree). A series that changes a definition no added row reaches (an ID list
/// extended inside an existing function, e.g. `pci_quirk_intel_pch_acs_ids[]`) is refused here.
public struct ProofModuleSource: Sendable {
    /// The added rows, in table order (lines of the patched file).
    public let rows: [ACSTableRow]
    /// The functions and arrays copied, in file order.
    public let definitions: [String]
    /// The text of `generated.h`.
    public let header: String

    /// Compares `patched` with `base` (the tree before the series): rows of `patched` that `base`
    /// does not have, counted per (vendor, device, function); the definitions those rows reach
    /// through identifiers in their bodies, transitively. Throws `.selfCheck`
    /// when no row was added, or when a definition the series added or changed is not reached.
    public init(base: QuirksSource, patched: QuirksSource) throws(KernelOutputError) {
        struct Key: Hashable { var vendor: UInt16; var device: UInt16?; var function: String }
        var remaining: [Key: Int] = [:]
        for r in base.table.rows { remaining[Key(vendor: r.vendor, device: r.device, function: r.function), default: 0] += 1 }
        var added: [ACSTableRow] = []
        for r in patched.table.rows {
            let k = Key(vendor: r.vendor, device: r.device, function: r.function)
            if let n = remaining[k], n > 0 { remaining[k] = n - 1 } else { added.append(r) }
        }
        let location = Diagnostic.Location(file: patched.path, line: patched.table.openLine)
        guard !added.isEmpty else {
            throw .selfCheck(location, "the series adds no row to pci_dev_acs_enabled[]: nothing for the module route to run")
        }

        // Definitions reached from the added rows' functions: identifiers in their bodies (the
        // reader's tokens, so comments and strings never count), transitively.
        func span(_ name: String) -> (first: Int, last: Int)? {
            patched.definition(name).map { ($0.leadingCommentLine ?? $0.startLine, $0.closeLine) }
        }
        var reached = Set<String>()
        var work = added.map(\.function)
        while let name = work.popLast() {
            guard reached.insert(name).inserted, let d = patched.definition(name) else { continue }
            for t in d.body where t.kind == .identifier && t.text != name && !reached.contains(t.text)
                && patched.definition(t.text) != nil {
                work.append(t.text)
            }
        }

        // Every definition the series added or changed must be one of them.
        func text(_ source: QuirksSource, _ name: String) -> String? {
            source.definition(name).map { source.lines[($0.startLine - 1)..<$0.closeLine].joined(separator: "\n") }
        }
        for name in (Array(patched.functions.keys) + Array(patched.arrays.keys)).sorted()
        where !reached.contains(name) && text(patched, name) != text(base, name) {
            throw .selfCheck(Diagnostic.Location(file: patched.path, line: span(name)?.first),
                             "the series changes \(name), which no added row calls: the module route runs only added rows "
                             + "(the in-tree route proves this change)")
        }

        let ordered = reached.compactMap { name in span(name).map { (name, $0) } }.sorted { $0.1.first < $1.1.first }
        rows = added
        definitions = ordered.map(\.0)
        var out = """
            /* SPDX-License-Identifier: GPL-2.0 */
            /*
             * generated.h for scripts/oracle/modules/acs-quirk: the \(added.count) row(s) a patch series added to
             * pci_dev_acs_enabled[] and the definitions they use, copied verbatim from the patched
             * \(patched.path). Written by acsquirk-prove (make prove); do not edit.
             */

            """
        for (name, s) in ordered {
            out += "\n/* \(patched.path):\(s.first)-\(s.last): \(name) */\n"
            out += patched.lines[(s.first - 1)..<s.last].joined(separator: "\n") + "\n"
        }
        out += "\n/* \(patched.path): the added rows (lines \(added.map { String($0.line) }.joined(separator: ", "))) */\n"
        out += "static const struct acs_quirk_row acs_quirk_rows[] = {\n"
        for r in added {
            out += patched.lines[(r.blockStartLine - 1)..<r.line].joined(separator: "\n") + "\n"
        }
        out += "\t{ 0 }\n};\n"
        header = out
    }
}
