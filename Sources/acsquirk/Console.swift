import Diagnostics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place the command line writes to stdout and stderr: whole texts with `write(2)`,
/// retrying short writes and EINTR, so output is never interleaved by buffering and Swift 6's
/// strict concurrency has no global `FILE *` to complain about.
enum Console {
    /// Writes `text` to standard output as it is.
    static func out(_ text: String) { writeAll(1, text) }

    /// Writes `text` and a newline to standard output.
    static func line(_ text: String) { writeAll(1, text + "\n") }

    /// Writes `text` and a newline to standard error.
    static func error(_ text: String) { writeAll(2, text + "\n") }

    /// Writes bytes (a PNG picture) to standard output as they are.
    static func out(bytes: [UInt8]) { writeAll(1, bytes) }

    /// Prints each diagnostic it is given to standard error, in the text format (`TextReporter`).
    static let diagnostics = PrintingDiagnosticCollector { error($0) }

    /// Whether standard output is a terminal (binary output is refused there).
    static var outputIsTerminal: Bool { isatty(1) == 1 }

    /// Colour on standard output: only on a terminal (not TERM=dumb), never with NO_COLOR set
    /// (https://no-color.org). Rainbow applies the same rules when it paints.
    static var useColour: Bool {
        if let v = getenv("NO_COLOR"), v.pointee != 0 { return false }
        if let t = getenv("TERM"), String(cString: t) == "dumb" { return false }
        return isatty(1) != 0
    }

    private static func writeAll(_ fd: Int32, _ text: String) { writeAll(fd, Array(text.utf8)) }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var rest = bytes[...]
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            rest = rest.dropFirst(n)
        }
    }
}
