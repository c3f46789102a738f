import Foundation
import Subprocess

/// Pictures from DOT text through graphviz's `dot`, run as a subprocess (`dot -Tsvg`, `dot -Tpng`)
/// with the DOT on its standard input. Graphviz lays the graph out; the same DOT and the same
/// graphviz give the same bytes.
public enum Graphviz {
    /// What `dot` writes.
    public enum Format: String, Sendable, CaseIterable {
        case svg, png
    }

    /// Why no picture was made.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// `dot` is not in `PATH`.
        case notInstalled
        /// `dot` ran and failed (its exit status and standard error).
        case failed(status: String, stderr: String)

        public var description: String {
            switch self {
            case .notInstalled:
                "graphviz is not installed: the program 'dot' was not found in PATH (Debian: apt-get install graphviz)"
            case let .failed(status, stderr):
                "graphviz's dot failed (\(status))" + (stderr.isEmpty ? "" : ": " + stderr.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    /// Renders `dot` as `format`: the picture's bytes.
    public static func render(_ dot: String, as format: Format) async throws(Failure) -> [UInt8] {
        let status: TerminationStatus, picture: [UInt8], stderr: String
        do {
            let r = try await Subprocess.run(.name("dot"), arguments: ["-T" + format.rawValue], input: .string(dot),
                                             output: .bytes(limit: 256 << 20), error: .string(limit: 1 << 20))
            (status, picture, stderr) = (r.terminationStatus, r.standardOutput, r.standardError)
        } catch let e as SubprocessError where e.code == .executableNotFound {
            throw .notInstalled
        } catch {
            throw .failed(status: "could not run it", stderr: "\(error)")
        }
        switch status {
        case .exited(0): return picture
        case let .exited(code): throw .failed(status: "exit \(code)", stderr: stderr)
        case let .signaled(signal): throw .failed(status: "signal \(signal)", stderr: stderr)
        }
    }

    /// The `<svg>` element of a `dot -Tsvg` document, for a page that inlines it: the XML
    /// declaration, DOCTYPE and comments before the element are left out.
    public static func svgElement(_ document: String) -> String {
        guard let start = document.range(of: "<svg") else { return document }
        return String(document[start.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }
}
