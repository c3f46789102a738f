import PCIAccess
import PCIConfig

/// Holds `DumpReader`'s result for a file to libpci 3.9's own dump reader (what `lspci -F`
/// uses), run in this process: the same refusal with the same libpci message, or the same
/// devices in file order with the same readable sizes, and for every function we keep (the first
/// of each valid address) the same bytes.
public enum DumpOracle {
    /// What differs between `ours` (parsed from the file at `path`) and libpci reading `path`;
    /// empty when they agree. Files libpci 3.9 cannot read safely (an offset of 0x80000000 or
    /// more, which it turns into a negative index) are not given to it: they must be refused
    /// with the error that says so.
    public static func disagreements(_ ours: ParsedDump, path: String) -> [String] {
        if let unsafe = ours.errors.first(where: { $0.line != nil && $0.libpciMessage == nil }) {
            return unsafe.message.contains("outside its buffer") ? [] : ["refused without a libpci message: \(unsafe)"]
        }
        let theirs: [LibpciDevice]
        do throws(PCIAccessError) {
            theirs = try LibpciDevices.read(method: 1, path: path)
        } catch {
            guard ours.isFatal else { return ["libpci refuses it (\(error.message)), we do not"] }
            let expected = ours.errors.first?.libpciMessage
            return error.message == expected ? [] : ["libpci says '\(error.message)', our first error expects '\(expected ?? "nil")'"]
        }
        if ours.isFatal { return ["we refuse what libpci reads: \(ours.errors.first?.description ?? "")"] }
        guard theirs.count == ours.devices.count else {
            return ["libpci has \(theirs.count) devices, we have \(ours.devices.count)"]
        }
        var out: [String] = []
        for (t, o) in zip(theirs, ours.devices) {
            if t.address != o.address {
                out.append("line \(o.line): libpci \(t.domain):\(t.bus):\(t.device).\(t.function), we \(o.text)")
            }
            if t.config.readable != o.length {
                out.append("line \(o.line): libpci reads \(t.config.readable) bytes, we \(o.length)")
            }
        }
        var firstOf: [PCIAddress: ConfigSpace] = [:]
        for t in theirs { if let a = t.address, firstOf[a] == nil { firstOf[a] = t.config } }
        if ours.functions.map(\.address) != firstOf.keys.sorted() {
            out.append("functions \(ours.functions.map(\.address)), libpci's \(firstOf.keys.sorted())")
        }
        for f in ours.functions where f.config != firstOf[f.address] {
            out.append("\(f.address): bytes or readable size differ from libpci's")
        }
        return out
    }
}
