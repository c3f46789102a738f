import Diagnostics
import Foundation
import PCIConfig
import Registry
import SafeFiles

/// The two files of a kernel tree the analysis reads: drivers/pci/quirks.c and
/// include/linux/pci_ids.h (`import-kernel` also reads the Makefile's version).
public struct KernelTreeFiles: Sendable {
    /// The tree's top directory.
    public let root: String
    /// Absolute path of drivers/pci/quirks.c.
    public let quirksPath: String
    /// Absolute path of include/linux/pci_ids.h.
    public let idsPath: String
    /// Its text as read.
    public let quirks: String
    /// The vendor macros of include/linux/pci_ids.h.
    public let macros: VendorMacros
    /// The mode git records for quirks.c (`100755` when executable, else `100644`).
    public let fileMode: String

    /// Reads the tree at `root`. Throws `.tree` naming the missing file.
    public init(root: String) throws(KernelOutputError) {
        self.root = root
        quirksPath = (root as NSString).appendingPathComponent(QuirksSource.relativePath)
        idsPath = (root as NSString).appendingPathComponent("include/linux/pci_ids.h")
        do throws(FileError) {
            quirks = try TextFile.read(quirksPath)
        } catch {
            throw .tree(Diagnostic.Location(file: quirksPath), "\(error.problem) (is \(root) a kernel tree?)")
        }
        let ids: String
        do throws(FileError) {
            ids = try TextFile.read(idsPath)
        } catch {
            throw .tree(Diagnostic.Location(file: idsPath), error.problem)
        }
        macros = VendorMacros(pciIDsHeader: ids)
        let perm = (try? FileManager.default.attributesOfItem(atPath: quirksPath)[.posixPermissions] as? Int) ?? 0o644
        fileMode = perm & 0o111 != 0 ? "100755" : "100644"
    }

    /// quirks.c parsed.
    public func source() throws(KernelOutputError) -> QuirksSource {
        try QuirksSource(text: quirks, path: QuirksSource.relativePath, macros: macros)
    }

    /// Writes `text` over quirks.c (`OutputFile`: staged next to it and renamed, its permissions
    /// kept; a link or special file there is refused), unless the file changed since it was read.
    public func apply(_ text: String) throws(KernelOutputError) {
        let now = try? TextFile.read(quirksPath)
        guard now == quirks else {
            throw .output(Diagnostic.Location(file: quirksPath), "the file changed while the patches were made; nothing written")
        }
        do throws(FileError) {
            try OutputFile.write(text, to: quirksPath)
        } catch {
            throw .output(Diagnostic.Location(file: quirksPath), error.problem)
        }
    }
}

/// Picks entries by what the user typed: a file path (as loaded, or its absolute form), a path
/// suffix without `.yaml` (`intel/i226`, `i226`), or a device `VVVV:DDDD` the entry covers.
public enum EntrySelector {
    /// The entries matching any selector, in the order loaded. Throws `.argument` naming a
    /// selector that matches nothing. No selectors: all entries.
    public static func select(_ entries: [LoadedEntry], _ selectors: [String]) throws(KernelOutputError) -> [LoadedEntry] {
        guard !selectors.isEmpty else { return entries }
        var chosen = Set<Int>()
        for s in selectors {
            let hits = entries.indices.filter { matches(entries[$0], s) }
            if hits.isEmpty {
                throw .argument("no registry entry matches \(s.debugDescription) (give a file, vendor/family, or VVVV:DDDD)")
            }
            chosen.formUnion(hits)
        }
        return entries.indices.filter(chosen.contains).map { entries[$0] }
    }

    static func matches(_ e: LoadedEntry, _ s: String) -> Bool {
        let parts = s.split(separator: ":")
        if parts.count == 2, let v = parseHexID(parts[0]), let d = parseHexID(parts[1]), !s.contains("/") {
            return e.entry.covers(vendor: v, device: d)
        }
        let path = (e.path as NSString).standardizingPath
        let wanted = (s as NSString).standardizingPath
        if path == wanted { return true }
        let cwd = FileManager.default.currentDirectoryPath
        if (e.path as NSString).isAbsolutePath == false,
           ((cwd as NSString).appendingPathComponent(e.path) as NSString).standardizingPath == wanted { return true }
        var stem = path
        for ext in [".yaml", ".yml"] where stem.hasSuffix(ext) { stem.removeLast(ext.count) }
        var want = wanted
        for ext in [".yaml", ".yml"] where want.hasSuffix(ext) { want.removeLast(ext.count) }
        return stem == want || stem.hasSuffix("/" + want)
    }
}
