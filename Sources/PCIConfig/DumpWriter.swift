/// Writes functions back as an `lspci -D -xxxx` style dump that libpci's dump method (and so
/// `lspci -F` and `PCIReader`) reads: a header line `dddd:bb:dd.f <text>`, then the readable
/// bytes 16 per line (`00:` ... `ff0:`, lower-case hex), then a blank line.
///
/// Used to build what-if and test inputs (for example an Intel SPT root port from a QEMU one).
/// Reading the output back gives the same bytes and readable sizes; the text after the address
/// is only for people (libpci ignores it).
public enum DumpWriter {
    /// The dump text for `functions` in the order given.
    public static func text(_ functions: [PCIFunction]) -> String {
        var out = ""
        for f in functions {
            out += f.address.description + " "
            if let n = f.names {
                out += "\(n.class): \(n.vendor) \(n.device)"
            } else {
                out += "Device " + f.idString
            }
            out += "\n"
            let c = f.config
            var offset = 0
            while offset < c.readable {
                let end = min(offset + 16, c.readable)
                out += hex(offset, width: 2) + ":"
                for i in offset..<end { out += " " + hex(c.bytes[i], width: 2) }
                out += "\n"
                offset = end
            }
            out += "\n"
        }
        return out
    }
}
