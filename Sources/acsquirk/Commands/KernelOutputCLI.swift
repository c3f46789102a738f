import ArgumentParser
import Foundation
import KernelOutput
import Registry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `generate` and `patch` share: registry loading, template lookup, messages.
enum KernelOutputCLI {
    /// One line to stderr.
    static func error(_ s: String) {
        let line = Array((s + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// One line to stdout.
    static func say(_ s: String) {
        let line = Array((s + "\n").utf8)
        var rest = line[...]
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            rest = rest.dropFirst(n)
        }
    }

    /// Loads the registry; prints the loader's diagnostics to stderr and exits 2 on errors.
    static func loadRegistry(_ paths: [String]) throws -> [LoadedEntry] {
        let (entries, diagnostics) = Registry.load(paths: paths)
        for d in diagnostics { error(d.description) }
        if diagnostics.hasErrors {
            error("acsquirk: the registry has errors (run acsquirk lint); nothing written")
            throw ExitStatus.badInput
        }
        return entries
    }

    /// The templates from --templates, ./templates or the repository the binary was built in.
    static func templates(_ explicit: String?) throws -> CodeRenderer {
        CodeRenderer(templates: try TemplateSet(directory: TemplateSet.locate(explicit: explicit)))
    }

    /// Runs `body`; a KernelOutputError is printed and becomes exit 2.
    static func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as KernelOutputError {
            error("acsquirk: \(e)")
            throw ExitStatus.badInput
        }
    }
}
