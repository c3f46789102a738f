import ArgumentParser
import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import Registry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `check`, `new` and `run` share: reading config space, loading the registry, messages.
enum PipelineCLI {
    /// One line to stderr.
    static func error(_ s: String) { Console.error(s) }

    /// Text to stdout, all of it.
    static func out(_ s: String) { Console.out(s) }

    /// Reads the functions of a dump or of this machine; prints the input warnings to stderr.
    /// A read error (unreadable or malformed dump, libpci failure) or an empty dump exits 2.
    static func readFunctions(dump: String?, names: Bool = true, pciIDs: String? = nil,
                              command: String) throws -> PCIReadResult {
        let source: PCISource = dump.map { .dump(path: $0) } ?? .live()
        let result: PCIReadResult
        do throws(PCIAccessError) {
            result = try PCIReader.load(source, names: names, idsPath: pciIDs)
        } catch {
            Self.error(error.message)
            throw ExitStatus.badInput
        }
        for w in result.warnings { Self.error(w.description) }
        if let dump, result.functions.isEmpty {
            Self.error("\(dump): error: no PCI functions in this dump")
            throw ExitStatus.badInput
        }
        return result
    }

    /// Loads the registry; prints the loader's diagnostics to stderr. Unreadable paths or files
    /// with errors exit 2 (run `acsquirk lint` for the details).
    static func loadRegistry(_ paths: [String], command: String) throws -> [LoadedEntry] {
        let loaded = Registry.load(paths: paths)
        for d in loaded.diagnostics { error(d.description) }
        if loaded.diagnostics.hasErrors {
            error("acsquirk \(command): the registry has errors (acsquirk lint \(paths.joined(separator: " ")) shows them)")
            throw ExitStatus.badInput
        }
        return loaded.entries
    }

    /// Colour only on a terminal (not TERM=dumb), never with NO_COLOR set (https://no-color.org).
    static func useColour() -> Bool {
        if let v = getenv("NO_COLOR"), v.pointee != 0 { return false }
        if let t = getenv("TERM"), String(cString: t) == "dumb" { return false }
        return isatty(1) != 0
    }

    /// `file.txt` for a dump, `this machine (sysfs)` live.
    static func sourceLabel(_ dump: String?) -> String {
        dump.map { ($0 as NSString).lastPathComponent } ?? "this machine (sysfs)"
    }
}
