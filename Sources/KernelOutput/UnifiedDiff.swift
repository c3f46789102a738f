/// Line diffs in git's unified format, computed here (no `diff` or `git` needed).
///
/// Myers' O(ND) algorithm finds a shortest edit script; each group of changed lines is then slid
/// down as far as equal lines allow (git's `xdl_change_compact` without the indent heuristic);
/// hunks carry 3 lines of context and are merged when at most 6 unchanged lines separate them
/// (git's `xdl_get_hunk`); the hunk header names the last line before the hunk that starts with a
/// letter, `_` or `$` (git's default funcname, at most 80 bytes).
public struct UnifiedDiff: Sendable {
    /// One `@@` hunk.
    public struct Hunk: Hashable, Sendable {
        /// 1-based start line in the old text (0 when the hunk has no old lines at the start).
        public var oldStart: Int
        public var oldCount: Int
        public var newStart: Int
        public var newCount: Int
        /// The function context after `@@`.
        public var function: String?
        /// The hunk's lines with their ` `, `-` or `+` prefix.
        public var lines: [String]

        /// `@@ -5131,6 +5131,8 @@ static const struct pci_dev_acs_enabled {`
        public var header: String {
            func range(_ start: Int, _ count: Int) -> String {
                count == 1 ? "\(start)" : "\(count == 0 ? start : start),\(count)"
            }
            return "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@" + (function.map { " " + $0 } ?? "")
        }
    }

    /// The hunks in file order.
    public var hunks: [Hunk]
    /// Lines added and removed.
    public var insertions: Int
    public var deletions: Int

    /// Whether the texts are equal.
    public var isEmpty: Bool { hunks.isEmpty }

    /// The diff of two texts split into lines (without line feeds).
    public init(old a: [String], new b: [String], context: Int = 3) {
        var changedA = [Bool](repeating: false, count: a.count)
        var changedB = [Bool](repeating: false, count: b.count)
        Self.myers(a, b, &changedA, &changedB)
        Self.compact(a, &changedA, b, &changedB)
        insertions = changedB.filter { $0 }.count
        deletions = changedA.filter { $0 }.count

        // Changes as (startA, countA, startB, countB), 0-based, in order.
        var changes: [(i1: Int, c1: Int, i2: Int, c2: Int)] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, !changedA[i], !changedB[j] { i += 1; j += 1; continue }
            let si = i, sj = j
            while i < a.count, changedA[i] { i += 1 }
            while j < b.count, changedB[j] { j += 1 }
            if si == i, sj == j { break }
            changes.append((si, i - si, sj, j - sj))
        }

        var hunks: [Hunk] = []
        var k = 0
        while k < changes.count {
            var last = k
            while last + 1 < changes.count,
                  changes[last + 1].i1 - (changes[last].i1 + changes[last].c1) <= 2 * context { last += 1 }
            let first = changes[k]
            let end = changes[last]
            let s1 = max(first.i1 - context, 0)
            let s2 = max(first.i2 - context, 0)
            let e1 = min(end.i1 + end.c1 + context, a.count)
            let e2 = min(end.i2 + end.c2 + context, b.count)
            var lines: [String] = []
            var p = s1, q = s2
            while p < e1 || q < e2 {
                if p < e1, q < e2, !changedA[p], !changedB[q] {
                    lines.append(" " + a[p]); p += 1; q += 1
                } else {
                    while p < e1, changedA[p] { lines.append("-" + a[p]); p += 1 }
                    while q < e2, changedB[q] { lines.append("+" + b[q]); q += 1 }
                }
            }
            let c1 = e1 - s1, c2 = e2 - s2
            hunks.append(Hunk(oldStart: c1 == 0 ? s1 : s1 + 1, oldCount: c1, newStart: c2 == 0 ? s2 : s2 + 1, newCount: c2,
                              function: Self.functionLine(a, before: s1), lines: lines))
            k = last + 1
        }
        self.hunks = hunks
    }

    /// git's default funcname: the nearest line above `index` starting with a letter, `_` or `$`,
    /// cut to 80 bytes, trailing whitespace removed.
    static func functionLine(_ a: [String], before index: Int) -> String? {
        var l = index - 1
        while l >= 0 {
            if let c = a[l].unicodeScalars.first, (c.isASCII && (c.properties.isAlphabetic)) || c == "_" || c == "$" {
                var out = ""
                var bytes = 0
                for ch in a[l] + "\n" {
                    let n = String(ch).utf8.count
                    if bytes + n > 80 { break }
                    out.append(ch)
                    bytes += n
                }
                return out.rightTrimmed.trimmingTrailingNewlines
            }
            l -= 1
        }
        return nil
    }

    /// Marks the lines of a shortest edit script (Myers 1986, forward greedy with trace).
    static func myers(_ a: [String], _ b: [String], _ ca: inout [Bool], _ cb: inout [Bool]) {
        // Trim the common prefix and suffix first.
        var lo = 0
        while lo < a.count, lo < b.count, a[lo] == b[lo] { lo += 1 }
        var ha = a.count, hb = b.count
        while ha > lo, hb > lo, a[ha - 1] == b[hb - 1] { ha -= 1; hb -= 1 }
        let n = ha - lo, m = hb - lo
        if n == 0 { for y in lo..<hb { cb[y] = true }; return }
        if m == 0 { for x in lo..<ha { ca[x] = true }; return }
        let max = n + m
        let offset = max
        var v = [Int](repeating: 0, count: 2 * max + 2)
        var trace: [[Int]] = []
        outer: for d in 0...max {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n, y < m, a[lo + x] == b[lo + y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n, y >= m { trace.append(v); break outer }
            }
        }
        // Backtrack.
        var x = n, y = m
        for d in stride(from: trace.count - 2, through: 0, by: -1) {
            let vd = trace[d]
            let k = x - y
            let prevK: Int
            if k == -d || (k != d && vd[offset + k - 1] < vd[offset + k + 1]) {
                prevK = k + 1
            } else {
                prevK = k - 1
            }
            let prevX = d == 0 ? 0 : vd[offset + prevK]
            let prevY = prevX - prevK
            while x > prevX, y > prevY { x -= 1; y -= 1 }
            if d > 0 {
                if x == prevX { cb[lo + prevY] = true } else { ca[lo + prevX] = true }
            }
            x = prevX
            y = prevY
        }
    }

    /// Slides each group of changed lines down while the line after it equals its first line,
    /// merging groups that come to touch (git's compaction without the indent heuristic).
    static func compact(_ a: [String], _ ca: inout [Bool], _ b: [String], _ cb: inout [Bool]) {
        func slide(_ lines: [String], _ changed: inout [Bool]) {
            var start = 0
            while start < lines.count {
                guard changed[start] else { start += 1; continue }
                var end = start
                while end < lines.count, changed[end] { end += 1 }
                while end < lines.count, lines[start] == lines[end] {
                    changed[start] = false
                    changed[end] = true
                    start += 1
                    end += 1
                    while end < lines.count, changed[end] { end += 1 }
                }
                start = end
            }
        }
        slide(a, &ca)
        slide(b, &cb)
    }

    /// The hunks as text, each line ending with a line feed.
    public var text: String {
        hunks.map { h in ([h.header] + h.lines).map { $0 + "\n" }.joined() }.joined()
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}

/// `git diff --stat` lines as `git format-patch` writes them (72 columns, git diff.c `show_stats`).
public enum DiffStat {
    /// One changed file and its line counts.
    public struct File: Sendable {
        public var path: String
        public var insertions: Int
        public var deletions: Int
        public init(path: String, insertions: Int, deletions: Int) {
            self.path = path
            self.insertions = insertions
            self.deletions = deletions
        }
    }

    /// ` drivers/pci/quirks.c | 12 ++++++++++++` lines and the summary line.
    public static func lines(_ files: [File], width totalWidth: Int = 72) -> [String] {
        let maxChange = files.map { $0.insertions + $0.deletions }.max() ?? 0
        let maxLen = files.map { $0.path.utf8.count }.max() ?? 0
        let numberWidth = String(maxChange).count
        var width = totalWidth
        if width < 16 + 6 + numberWidth { width = 16 + 6 + numberWidth }
        var graphWidth = maxChange
        var nameWidth = maxLen
        if nameWidth + numberWidth + 6 + graphWidth > width {
            if graphWidth > width * 3 / 8 - numberWidth - 6 {
                graphWidth = width * 3 / 8 - numberWidth - 6
                if graphWidth < 6 { graphWidth = 6 }
            }
            if nameWidth > width - numberWidth - 6 - graphWidth {
                nameWidth = width - numberWidth - 6 - graphWidth
            } else {
                graphWidth = width - numberWidth - 6 - nameWidth
            }
        }
        func scale(_ it: Int) -> Int { it == 0 ? 0 : 1 + (it * (graphWidth - 1) / maxChange) }
        var out: [String] = []
        for f in files {
            var name = f.path
            var prefix = ""
            var len = nameWidth
            if nameWidth < name.utf8.count {
                prefix = "..."
                len -= 3
                name = String(name.suffix(len))
                if let slash = name.firstIndex(of: "/") { name = String(name[slash...]) }
            }
            let padding = max(0, len - name.utf8.count)
            var add = f.insertions, del = f.deletions
            if graphWidth <= maxChange {
                var total = scale(add + del)
                if total < 2, add > 0, del > 0 { total = 2 }
                if add < del {
                    add = scale(add); del = total - add
                } else {
                    del = scale(del); add = total - del
                }
            }
            let count = String(f.insertions + f.deletions)
            let number = String(repeating: " ", count: max(0, numberWidth - count.count)) + count
            out.append(" \(prefix)\(name)\(String(repeating: " ", count: padding)) | \(number)"
                + (f.insertions + f.deletions > 0 ? " " : "")
                + String(repeating: "+", count: add) + String(repeating: "-", count: del))
        }
        let ins = files.reduce(0) { $0 + $1.insertions }, del = files.reduce(0) { $0 + $1.deletions }
        var summary = files.count == 1 ? " 1 file changed" : " \(files.count) files changed"
        if ins > 0 || del == 0 { summary += ins == 1 ? ", 1 insertion(+)" : ", \(ins) insertions(+)" }
        if del > 0 || ins == 0 { summary += del == 1 ? ", 1 deletion(-)" : ", \(del) deletions(-)" }
        out.append(summary)
        return out
    }
}
