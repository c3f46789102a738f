import CFileShim
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder of outputs that land together or not at all: `generate --out`, `patch --out`,
/// `run --out`, the registry files `import-kernel` and `new` write.
///
/// `replace(with:stale:commit:)`:
/// 1. Checks every output path first: each must be a regular file or nothing, each folder on
///    the way a real folder (never a link, FIFO, device or socket: refused, naming it, before
///    anything is written). The folder itself may be given as a link to a folder (the user named
///    it); a dangling link, a file or a special file as the folder is refused.
/// 2. Takes the folder's lock (flock): a second acsquirk writing into the same folder is refused
///    instead of mixing two runs.
/// 3. Stages the folder's complete new contents in a locked folder next to it
///    (`.<name>.acsquirk-tmp-…`): the new files (fsync'd), and every other entry of the folder
///    kept by a hard link (same file, not a copy), except this command's earlier outputs that
///    `stale` recognises and this run did not write, which go away. Then exchanges the two
///    folders in one atomic rename (`renameat2(RENAME_EXCHANGE)`), moves over whatever appeared
///    in the old folder meanwhile, and removes the old folder. A kill at any point leaves the
///    old folder or the new one, never a mix; what it leaves behind is removed by the next write.
/// 4. Where the folder cannot be exchanged (it holds the current directory, it is a mount
///    point, the file system has no RENAME_EXCHANGE, its parent is not writable, a file cannot be
///    hard-linked, or it holds more than 10,000 entries acsquirk did not write), each file is
///    staged next to its target and all are renamed at the end, `commit` (e.g. `summary.txt`)
///    removed first and renamed last, so a folder that has it is complete
///    (`WriteReport.Method.fileByFile` says why).
///
/// `create(_:)` writes new files only: any of them existing (or a link there) refuses all.
public struct OutputFolder: Sendable {
    /// One file to write, path relative to the folder (`quirks/intel.c`).
    public struct File: Hashable, Sendable {
        public var path: String
        public var bytes: [UInt8]
        public init(_ path: String, _ text: String) {
            self.path = path
            bytes = Array(text.utf8)
        }
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// A regular file already in the folder that this run does not write: `stale` decides
    /// whether it is an earlier output of the same command (removed) or something else (kept).
    public struct Existing {
        /// Relative to the folder.
        public let path: String
        let read: () -> String?
        /// Its text (nil when unreadable or over 1 MiB).
        public func text() -> String? { read() }
    }

    /// The folder as the user gave it.
    public let path: String

    public init(_ path: String) { self.path = path }

    /// Entries acsquirk did not write that a folder may hold and still be exchanged.
    static let keepLimit = 10_000

    /// Replaces the folder's contents with `files` (see the type). Throws a `FileError` naming
    /// the path and what is wrong; then the folder is as it was.
    @discardableResult
    public func replace(with files: [File], stale: (Existing) -> Bool = { _ in false },
                        commit: String? = nil) throws(FileError) -> WriteReport {
        let plan = try Plan(files, in: path)
        for attempt in 0..<8 {
            let root = try Root(path)
            var report = WriteReport()
            report.written = plan.files.map(\.path).sorted()
            if !root.exists {
                do {
                    try createFolder(root, plan, &report)
                    return report
                } catch let e as Retry {
                    if attempt < 7 { continue }
                    throw FileError(path, e.message)
                } catch let e as FileError { throw e } catch { throw FileError(path, "\(error)") }
            }
            let folder = try Directory.existing(root.real, shown: path)
            switch flock(folder.fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno {
            case 0: break
            case EWOULDBLOCK:
                throw FileError(path, "another acsquirk is writing into this folder now; run again when it has finished")
            default: break   // no locks on this file system: go on unlocked
            }
            // Locked the folder that is there now (not one a concurrent write just replaced)?
            guard let there = root.parent.status(root.name), sameObject(there, folder.status()) else { continue }
            try plan.check(against: folder, shown: path)
            let exchange: String?
            if let why = root.cannotExchange {
                exchange = why
            } else {
                do {
                    try exchangeFolder(root, folder, plan, stale, &report)
                    return report
                } catch let e as Unavailable {
                    exchange = e.reason
                } catch let e as FileError { throw e } catch { throw FileError(path, "\(error)") }
            }
            try fileByFile(folder, plan, stale, commit, &report)
            report.method = .fileByFile(exchange ?? "")
            return report
        }
        throw FileError(path, "kept changing while acsquirk was writing into it; nothing written, run again")
    }

    /// Writes `files`, all new: refused (nothing written) when any of them exists, or a link or
    /// special file is where one goes. Each lands by an atomic rename that never replaces; the
    /// files land in the order given (a kill between two renames leaves the first ones).
    @discardableResult
    public func create(_ files: [File]) throws(FileError) -> WriteReport {
        let plan = try Plan(files, in: path)
        var report = WriteReport()
        report.written = plan.files.map(\.path)
        try makeFolders(path, shown: path)
        let folder = try Directory.existing(path)
        try plan.check(against: folder, shown: path, mustBeNew: true)
        var staged: [(dir: Directory, temp: String, name: String, fd: Int32)] = []
        defer { for s in staged { close(s.fd) } }
        func unstage() { for s in staged { unlinkat(s.dir.fd, s.temp, 0) } }
        do throws(FileError) {
            for f in plan.files {
                let (dir, name) = try plan.folder(of: f.path, under: folder, create: true)
                let cleaned = Staging.clean(in: dir) { $0.hasPrefix(Staging.prefix(for: name)) }
                report.leftovers += cleaned.removed
                report.notes += cleaned.notes
                let (temp, fd) = try Staging.createFile(in: dir, for: name)
                staged.append((dir, temp, name, fd))
                if let code = writeAll(fd, f.bytes) { throw FileError.posix(dir.child(name), "cannot write", code) }
                if fsync(fd) != 0 { throw FileError.posix(dir.child(name), "cannot write") }
            }
        } catch {
            unstage()
            throw error
        }
        CrashPoint.reach("files-staged")
        for (i, s) in staged.enumerated() {
            var r = cfileshim_renameat2(s.dir.fd, s.temp, s.dir.fd, s.name, UInt32(CFILESHIM_RENAME_NOREPLACE))
            if r != 0 && (errno == EINVAL || errno == ENOSYS) {
                // No RENAME_NOREPLACE here: a hard link never replaces either.
                r = linkat(s.dir.fd, s.temp, s.dir.fd, s.name, 0)
                if r == 0 { unlinkat(s.dir.fd, s.temp, 0) }
            }
            if r != 0 {
                let code = errno
                // Take back the files of this call that already landed (still the same files).
                for done in staged[..<i] {
                    var st = stat()
                    if fstat(done.fd, &st) == 0, let now = done.dir.status(done.name), sameObject(st, now) {
                        unlinkat(done.dir.fd, done.name, 0)
                    }
                }
                for rest in staged[i...] { unlinkat(rest.dir.fd, rest.temp, 0) }
                throw code == EEXIST ? FileError(s.dir.child(s.name), "appeared while acsquirk was writing it; nothing written")
                    : FileError.posix(s.dir.child(s.name), "cannot create the file", code)
            }
        }
        for s in staged { s.dir.sync() }
        report.method = .file
        return report
    }

    // MARK: The folder itself

    /// Where the folder is: its real parent and name (links resolved), whether it exists.
    struct Root {
        let parent: Directory
        let name: String
        let real: String
        let exists: Bool
        /// Why the folder cannot be exchanged with a staged copy (nil: it can).
        let cannotExchange: String?

        init(_ path: String) throws(FileError) {
            var st = stat()
            var real: String
            if lstat(path, &st) == 0 {
                let kind = FileKind(mode: st.st_mode)
                if kind == .symbolicLink {
                    let target = Refusal.linkTarget(path)
                    var to = stat()
                    guard stat(path, &to) == 0 else {
                        throw FileError(path, "is a symbolic link to \(target), which does not exist: give a folder "
                            + "(it is created when missing), or create \(target) first")
                    }
                    guard FileKind(mode: to.st_mode) == .folder else {
                        throw FileError(path, "is a symbolic link to \(target), which is \(FileKind(mode: to.st_mode).phrase), not a folder")
                    }
                } else if kind != .folder {
                    throw FileError(path, "is \(kind.phrase == "a file" ? "a file" : kind.phrase), not a folder: give a folder for the "
                        + "outputs (it is created when missing)")
                }
                guard let r = realPath(path) else { throw FileError.posix(path, "cannot resolve the path") }
                real = r
                exists = true
            } else if errno == ENOENT {
                let (folder, name) = split(path)
                guard !name.isEmpty, name != ".", name != ".." else { throw FileError(path, "is not a folder name") }
                try makeFolders(folder, shown: path)
                guard let r = realPath(folder) else { throw FileError.posix(path, "cannot resolve the path") }
                real = (r == "/" ? "" : r) + "/" + name
                exists = false
            } else {
                throw FileError.posix(path, "cannot use it as a folder")
            }
            let (parentPath, name) = split(real)
            self.real = real
            self.name = name
            parent = try Directory.existing(parentPath, shown: parentPath)
            if real == "/" {
                cannotExchange = "it is the root folder"
            } else if let cwd = realPath("."), cwd == real || cwd.hasPrefix(real + "/") {
                cannotExchange = "it holds the current directory"
            } else if exists, let inside = parent.status(name), inside.st_dev != parent.status().st_dev {
                cannotExchange = "it is a mount point"
            } else {
                cannotExchange = nil
            }
        }
    }

    /// The exchange is not possible here; write file by file instead.
    struct Unavailable: Error { let reason: String }
    /// The folder appeared or changed under us: look again.
    struct Retry: Error { let message: String }

    /// A folder that does not exist yet: staged whole next to where it goes, then renamed into
    /// place (never over a folder that appeared meanwhile).
    private func createFolder(_ root: Root, _ plan: Plan, _ report: inout WriteReport) throws {
        let cleaned = Staging.clean(in: root.parent) { $0.hasPrefix(Staging.prefix(for: root.name)) }
        report.leftovers += cleaned.removed
        report.notes += cleaned.notes
        let (stagingName, staging) = try Staging.createFolder(in: root.parent, for: root.name)
        do {
            try plan.write(into: staging, shown: path)
            CrashPoint.reach("folder-staged")
            var r = cfileshim_renameat2(root.parent.fd, stagingName, root.parent.fd, root.name, UInt32(CFILESHIM_RENAME_NOREPLACE))
            if r != 0 && (errno == EINVAL || errno == ENOSYS) {
                r = renameat(root.parent.fd, stagingName, root.parent.fd, root.name)
            }
            if r != 0 {
                let code = errno
                if code == EEXIST || code == ENOTEMPTY { throw Retry(message: "appeared while acsquirk was writing it") }
                throw FileError.posix(path, "cannot create the folder", code)
            }
        } catch {
            root.parent.removeTree(stagingName)
            throw error
        }
        root.parent.sync()
        report.method = .created
    }

    /// The folder staged whole (new files, everything else kept by hard links, stale outputs
    /// left out) and exchanged with the old one in one rename.
    private func exchangeFolder(_ root: Root, _ folder: Directory, _ plan: Plan, _ stale: (Existing) -> Bool,
                                _ report: inout WriteReport) throws {
        let cleaned = Staging.clean(in: root.parent) { $0.hasPrefix(Staging.prefix(for: root.name)) }
        report.leftovers += cleaned.removed
        report.notes += cleaned.notes
        let stagingName: String, staging: Directory
        do {
            (stagingName, staging) = try Staging.createFolder(in: root.parent, for: root.name)
        } catch {
            throw Unavailable(reason: "cannot create a folder next to it (\(error.problem))")
        }
        var removed: [String] = []
        var leftovers: [String] = []
        do {
            try plan.write(into: staging, shown: path)
            var budget = Self.keepLimit
            try keep(from: folder, into: staging, prefix: "", plan: plan, stale: stale, removed: &removed,
                     leftovers: &leftovers, budget: &budget)
            let st = folder.status()
            _ = fchmod(staging.fd, st.st_mode & 0o7777)
            if geteuid() == 0 { _ = fchown(staging.fd, st.st_uid, st.st_gid) }
            staging.sync()
            CrashPoint.reach("folder-staged")
            if cfileshim_renameat2(root.parent.fd, stagingName, root.parent.fd, root.name, UInt32(CFILESHIM_RENAME_EXCHANGE)) != 0 {
                throw Unavailable(reason: "the file system cannot exchange two folders atomically (\(FileError.words(errno)))")
            }
        } catch {
            root.parent.removeTree(stagingName)
            throw error
        }
        root.parent.sync()
        CrashPoint.reach("folder-exchanged")
        // `folder` (still locked) is the old contents now, under the staging name.
        let kept = settle(old: folder, new: staging, prefix: "", plan: plan, removed: Set(removed))
        if !root.parent.removeTree(stagingName) || kept {
            let keptName = Staging.temporaryName(for: root.name, marker: Staging.keptMarker)
            if renameat(root.parent.fd, stagingName, root.parent.fd, keptName) == 0 {
                report.notes.append("\(root.parent.child(keptName)): files that appeared in \(path) while acsquirk replaced it "
                    + "and could not be moved into the new folder; look at them and remove the folder")
            }
        }
        root.parent.sync()
        report.removed = removed.sorted()
        report.leftovers += leftovers
        report.method = .exchanged
    }

    /// Hard-links every entry of `old` this run neither writes nor finds stale into `new`
    /// (folders recreated with their permissions), recursively.
    private func keep(from old: Directory, into new: Directory, prefix: String, plan: Plan, stale: (Existing) -> Bool,
                      removed: inout [String], leftovers: inout [String], budget: inout Int) throws {
        for name in old.names() {
            let rel = prefix + name
            guard let st = old.status(name) else { continue }
            let kind = FileKind(mode: st.st_mode)
            if Staging.isTemporary(name), kind == .regular || kind == .folder {
                // Another write's temporary: gone with the old folder if nobody holds it.
                let c = Staging.clean(in: old) { $0 == name }
                leftovers += c.removed
                if !c.removed.isEmpty { continue }
            }
            if plan.fileSet.contains(rel) { continue }
            if kind == .folder {
                let sub = try old.subfolder(name, create: false)
                let target: Directory
                if plan.folderSet.contains(rel) {
                    target = try new.subfolder(name, create: false)
                } else {
                    if mkdirat(new.fd, name, st.st_mode & 0o7777) != 0 {
                        throw FileError.posix(new.child(name), "cannot create the folder")
                    }
                    target = try new.subfolder(name, create: false)
                    _ = fchmod(target.fd, st.st_mode & 0o7777)
                    if geteuid() == 0 { _ = fchown(target.fd, st.st_uid, st.st_gid) }
                }
                try keep(from: sub, into: target, prefix: rel + "/", plan: plan, stale: stale, removed: &removed,
                         leftovers: &leftovers, budget: &budget)
                target.sync()
                continue
            }
            if kind == .regular, stale(Existing(path: rel, read: { old.readText(name) })) {
                removed.append(rel)
                continue
            }
            budget -= 1
            if budget < 0 { throw Unavailable(reason: "it holds more than \(Self.keepLimit) entries acsquirk did not write") }
            if linkat(old.fd, name, new.fd, name, 0) != 0 {
                throw Unavailable(reason: "\(old.child(name)) cannot be kept by a hard link (\(FileError.words(errno)))")
            }
        }
    }

    /// After the exchange: moves what appeared in the old folder while it was staged into the new
    /// one, and empties the old one of everything the new one has. True when something could
    /// not be moved and stays in the old folder.
    private func settle(old: Directory, new: Directory, prefix: String, plan: Plan, removed: Set<String>) -> Bool {
        var left = false
        for name in old.names() {
            let rel = prefix + name
            guard let st = old.status(name) else { continue }
            let kind = FileKind(mode: st.st_mode)
            let there = new.status(name)
            if kind == .folder {
                if let there, FileKind(mode: there.st_mode) == .folder,
                   let o = try? old.subfolder(name, create: false), let n = try? new.subfolder(name, create: false) {
                    left = settle(old: o, new: n, prefix: rel + "/", plan: plan, removed: removed) || left
                    if unlinkat(old.fd, name, AT_REMOVEDIR) != 0 { left = true }
                } else if there == nil {
                    if renameat(old.fd, name, new.fd, name) != 0 { left = true }
                } else {
                    left = true
                }
                continue
            }
            let ours = plan.fileSet.contains(rel) || removed.contains(rel) || Staging.isTemporary(name)
            if ours || there.map({ sameObject(st, $0) }) == true {
                unlinkat(old.fd, name, 0)       // an earlier output, a leftover, or kept by a link
            } else if there.map({ FileKind(mode: $0.st_mode) != .folder }) ?? true {
                // Appeared, or was replaced, while the new folder was staged: the newer one wins.
                if renameat(old.fd, name, new.fd, name) != 0 { left = true }
            } else {
                left = true
            }
        }
        new.sync()
        return left
    }

    /// Each file staged next to its target, then all renamed (`commit` removed first, renamed
    /// last), then stale outputs removed.
    private func fileByFile(_ folder: Directory, _ plan: Plan, _ stale: (Existing) -> Bool, _ commit: String?,
                            _ report: inout WriteReport) throws(FileError) {
        var staged: [(dir: Directory, temp: String, name: String, rel: String, fd: Int32)] = []
        defer { for s in staged { close(s.fd) } }
        func unstage(from i: Int = 0) { for s in staged[i...] { unlinkat(s.dir.fd, s.temp, 0) } }
        var cleanedFolders = Set<String>()
        do throws(FileError) {
            for f in plan.files {
                let (dir, name) = try plan.folder(of: f.path, under: folder, create: true)
                if cleanedFolders.insert(dir.path).inserted {
                    let c = Staging.clean(in: dir)
                    report.leftovers += c.removed
                    report.notes += c.notes
                }
                let (temp, fd) = try Staging.createFile(in: dir, for: name)
                staged.append((dir, temp, name, f.path, fd))
                if let code = writeAll(fd, f.bytes) { throw FileError.posix(dir.child(name), "cannot write", code) }
                if let old = dir.status(name) {
                    _ = fchmod(fd, old.st_mode & 0o7777)
                    if geteuid() == 0 { _ = fchown(fd, old.st_uid, old.st_gid) }
                }
                if fsync(fd) != 0 { throw FileError.posix(dir.child(name), "cannot write") }
            }
        } catch {
            unstage()
            throw error
        }
        // The commit file goes first and comes back last: present means complete.
        if let commit, plan.fileSet.contains(commit), let st = folder.status(commit), FileKind(mode: st.st_mode) == .regular {
            unlinkat(folder.fd, commit, 0)
            folder.sync()
        }
        CrashPoint.reach("files-staged")
        let order = staged.indices.sorted { (staged[$0].rel == commit ? 1 : 0, $0) < (staged[$1].rel == commit ? 1 : 0, $1) }
        for (n, i) in order.enumerated() {
            let s = staged[i]
            if n == 1 { CrashPoint.reach("files-renaming") }
            if renameat(s.dir.fd, s.temp, s.dir.fd, s.name) != 0 {
                let code = errno
                for j in order[n...] { unlinkat(staged[j].dir.fd, staged[j].temp, 0) }
                throw FileError(s.dir.child(s.name), "cannot replace the file: \(FileError.words(code)) (\(n) of \(staged.count) "
                    + "files were already replaced; run again)")
            }
        }
        var seen = Set<String>()
        for s in staged where seen.insert(s.dir.path).inserted { s.dir.sync() }
        var budget = Self.keepLimit
        report.removed = removeStale(in: folder, prefix: "", plan: plan, stale: stale, budget: &budget).sorted()
        folder.sync()
    }

    /// Removes the regular files under `dir` that `stale` recognises and this run did not write.
    private func removeStale(in dir: Directory, prefix: String, plan: Plan, stale: (Existing) -> Bool, budget: inout Int) -> [String] {
        var out: [String] = []
        for name in dir.names() {
            budget -= 1
            if budget < 0 { return out }
            let rel = prefix + name
            guard !plan.fileSet.contains(rel), let st = dir.status(name) else { continue }
            switch FileKind(mode: st.st_mode) {
            case .folder:
                if let sub = try? dir.subfolder(name, create: false) {
                    out += removeStale(in: sub, prefix: rel + "/", plan: plan, stale: stale, budget: &budget)
                }
            case .regular:
                if !Staging.isTemporary(name), stale(Existing(path: rel, read: { dir.readText(name) })),
                   unlinkat(dir.fd, name, 0) == 0 {
                    out.append(rel)
                }
            default: break
            }
        }
        return out
    }
}

/// The files of one write, checked: relative paths of real names, no duplicates, no file
/// where another one needs a folder.
struct Plan {
    let files: [OutputFolder.File]
    let fileSet: Set<String>
    /// Every folder on the way to a file (`quirks`, `patches/intel`).
    let folderSet: Set<String>

    init(_ files: [OutputFolder.File], in root: String) throws(FileError) {
        var fileSet = Set<String>()
        var folderSet = Set<String>()
        for f in files {
            let parts = f.path.split(separator: "/", omittingEmptySubsequences: false)
            for p in parts where p.isEmpty || p == "." || p == ".." || p.utf8.count > 255 || p.contains("\0") {
                throw FileError(root + "/" + f.path, p.utf8.count > 255
                    ? "the name \(p.prefix(40))… is \(p.utf8.count) bytes long; file systems accept at most 255"
                    : "not a path inside the output folder")
            }
            guard fileSet.insert(f.path).inserted else { throw FileError(root + "/" + f.path, "written twice by one command") }
            for k in 1..<parts.count { folderSet.insert(parts[0..<k].joined(separator: "/")) }
        }
        if let clash = fileSet.first(where: { folderSet.contains($0) }) {
            throw FileError(root + "/" + clash, "both a file and a folder of this command's outputs")
        }
        self.files = files
        self.fileSet = fileSet
        self.folderSet = folderSet
    }

    /// Refuses, naming it, anything in the existing folder that stands where an output goes: a
    /// link, special file or file where a folder is needed; a link, special file or folder
    /// where a file goes (or, with `mustBeNew`, anything at all there).
    func check(against folder: Directory, shown: String, mustBeNew: Bool = false) throws(FileError) {
        for dir in folderSet.sorted() {
            let (parentRel, name) = split(dir)
            guard let parent = try? self.existing(parentRel == "." ? "" : parentRel, under: folder) else { continue }
            guard let st = parent.status(name) else { continue }
            let kind = FileKind(mode: st.st_mode)
            if kind == .folder { continue }
            if kind == .symbolicLink {
                throw FileError(shown + "/" + dir, "is a symbolic link to \(Refusal.linkTarget(name, at: parent.fd)): acsquirk does not "
                    + "write through links inside its output folder; remove the link")
            }
            throw FileError(shown + "/" + dir, "is \(kind.phrase), not a folder: acsquirk writes files under it; remove or rename it")
        }
        for f in files {
            let (parentRel, name) = split(f.path)
            guard let parent = try? self.existing(parentRel == "." ? "" : parentRel, under: folder),
                  let st = parent.status(name) else { continue }
            let kind = FileKind(mode: st.st_mode)
            let shownPath = shown + "/" + f.path
            switch kind {
            case .regular:
                if mustBeNew { throw FileError(shownPath, "already exists: not overwritten (nothing written)") }
            case .symbolicLink:
                var to = stat()
                let dangling = fstatat(parent.fd, name, &to, 0) != 0
                throw Refusal.link(shownPath, target: Refusal.linkTarget(name, at: parent.fd), dangling: dangling)
            default:
                throw Refusal.notAFile(shownPath, kind, standardOutputHint: false)
            }
        }
    }

    /// The existing folder `rel` under `root` (never through a link); nil when missing.
    func existing(_ rel: String, under root: Directory) throws(FileError) -> Directory? {
        var dir = root
        guard !rel.isEmpty else { return root }
        for part in rel.split(separator: "/") {
            guard dir.status(String(part)) != nil else { return nil }
            dir = try dir.subfolder(String(part), create: false)
        }
        return dir
    }

    /// The folder of `rel` under `root` (created when `create`) and the file's name.
    func folder(of rel: String, under root: Directory, create: Bool) throws(FileError) -> (Directory, String) {
        let parts = rel.split(separator: "/").map(String.init)
        var dir = root
        for part in parts.dropLast() { dir = try dir.subfolder(part, create: create) }
        return (dir, parts.last!)
    }

    /// Writes every file into the (new, empty) folder `root`, fsync'd.
    func write(into root: Directory, shown: String) throws(FileError) {
        var synced: [Directory] = [root]
        var opened: [String: Directory] = ["": root]
        for f in files.sorted(by: { $0.path < $1.path }) {
            let (parentRel, name) = split(f.path)
            let key = parentRel == "." ? "" : parentRel
            let dir: Directory
            if let d = opened[key] {
                dir = d
            } else {
                let (d, _) = try folder(of: f.path, under: root, create: true)
                opened[key] = d
                synced.append(d)
                dir = d
            }
            let fd = openat(dir.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
            let target = shown + "/" + f.path
            guard fd >= 0 else { throw FileError.posix(target, "cannot create the file") }
            defer { close(fd) }
            if let code = writeAll(fd, f.bytes) { throw FileError.posix(target, "cannot write", code) }
            if fsync(fd) != 0 { throw FileError.posix(target, "cannot write") }
        }
        for d in synced { d.sync() }
    }
}
