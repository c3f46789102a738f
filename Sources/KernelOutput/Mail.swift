import Foundation

/// `Full Name <email>`: a patch author or a trailer's person.
public struct Identity: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var email: String

    /// Parses `Full Name <email>`; nil when the name is empty or holds `<`, `>` or a line break, or
    /// the address holds whitespace or no `@`.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasSuffix(">"), let open = t.lastIndex(of: "<") else { return nil }
        let name = t[t.startIndex..<open].trimmingCharacters(in: .whitespaces)
        let email = String(t[t.index(after: open)..<t.index(before: t.endIndex)])
        guard !name.isEmpty, !name.contains(where: { "<>\n\r\t".contains($0) || $0.isNewline }),
              !email.isEmpty, !email.contains(where: { $0.isWhitespace || "<>".contains($0) }),
              let at = email.firstIndex(of: "@"), at != email.startIndex, email.index(after: at) != email.endIndex
        else { return nil }
        self.name = name
        self.email = email
    }

    public var description: String { "\(name) <\(email)>" }
}

/// Dates in the form `git format-patch` writes them (`Fri, 10 Feb 2023 00:00:00 +0000`).
public enum MailDate {
    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func valid(year: Int, month: Int, day: Int) -> Bool {
        guard (1970...9999).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    static func format(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, offsetMinutes: Int) -> String {
        let wd = weekdays[((days(year: year, month: month, day: day) % 7) + 7 + 4) % 7]
        let sign = offsetMinutes < 0 ? "-" : "+"
        let off = abs(offsetMinutes)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(wd), \(day) \(months[month - 1]) \(year) \(two(hour)):\(two(minute)):\(two(second)) \(sign)\(two(off / 60))\(two(off % 60))"
    }

    /// `2023-02-10` -> `Fri, 10 Feb 2023 00:00:00 +0000`; nil when not a valid ISO date.
    public static func fromISODate(_ text: String) -> String? {
        let p = text.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, p[0].count == 4, p[1].count == 2, p[2].count == 2,
              let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]), valid(year: y, month: m, day: d) else { return nil }
        return format(year: y, month: m, day: d, hour: 0, minute: 0, second: 0, offsetMinutes: 0)
    }

    /// Parses an RFC 2822 date (`[Fri, ]10 Feb 2023 12:34:56 +0100`) and returns it as git writes
    /// it; nil when malformed or when the weekday does not match the date.
    public static func normalizeRFC2822(_ text: String) -> String? {
        var parts = text.split(separator: " ").map(String.init)
        var weekday: String?
        if let first = parts.first, first.hasSuffix(",") {
            weekday = String(first.dropLast())
            parts.removeFirst()
        }
        guard parts.count == 5, let d = Int(parts[0]), let m = months.firstIndex(of: parts[1]), let y = Int(parts[2]),
              valid(year: y, month: m + 1, day: d) else { return nil }
        let t = parts[3].split(separator: ":").map { Int($0) }
        guard t.count == 3, let h = t[0], let mi = t[1], let s = t[2], (0...23).contains(h), (0...59).contains(mi),
              (0...60).contains(s) else { return nil }
        let z = parts[4]
        guard z.count == 5, let sign = z.first, sign == "+" || sign == "-", let hh = Int(z.dropFirst().prefix(2)),
              let mm = Int(z.suffix(2)), hh <= 14, mm < 60 else { return nil }
        let offset = (sign == "-" ? -1 : 1) * (hh * 60 + mm)
        let out = format(year: y, month: m + 1, day: d, hour: h, minute: mi, second: s, offsetMinutes: offset)
        if let weekday, !out.hasPrefix(weekday + ",") { return nil }
        return out
    }
}

/// Mail header encoding as `git format-patch` does it (git pretty.c: `add_rfc2047`,
/// `add_rfc822_quoted`, `strbuf_add_wrapped_bytes` with 78 columns).
enum MailHeader {
    static let maxLength = 78

    static func needsRFC2047(_ s: String) -> Bool {
        s.utf8.contains { $0 >= 0x80 || $0 == 0x0a } || s.contains("=?")
    }

    static func needsRFC822Quoting(_ s: String) -> Bool {
        s.contains { "()<>[]:;@,.\"\\".contains($0) }
    }

    /// `"name"` with `"` and `\` escaped.
    static func rfc822Quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// RFC 2047 Q-encoding, folded so no encoded word line passes 76 columns. `column` is the
    /// length of the header line so far; `address`: the stricter character set of a phrase.
    static func rfc2047(_ s: String, column: Int, address: Bool) -> String {
        var out = "=?UTF-8?q?"
        var lineLength = column + "UTF-8".count + 5
        for ch in s {
            let bytes = Array(String(ch).utf8)
            let special: Bool
            if bytes.count > 1 {
                special = true
            } else {
                let b = bytes[0]
                let printable = b >= 0x20 && b < 0x7f
                if !printable || b == 0x20 || b == UInt8(ascii: "=") || b == UInt8(ascii: "?") || b == UInt8(ascii: "_") {
                    special = true
                } else if address {
                    let c = Character(Unicode.Scalar(b))
                    special = !(c.isLetter || c.isNumber || "!*+-/".contains(c))
                } else {
                    special = false
                }
            }
            let encoded = special ? bytes.map { "=" + String(format: "%02X", $0) }.joined() : String(ch)
            if lineLength + encoded.count + 2 > 76 {
                out += "?=\n =?UTF-8?q?"
                lineLength = "UTF-8".count + 5 + 1
            }
            out += encoded
            lineLength += encoded.count
        }
        return out + "?="
    }

    /// Greedy folding at spaces to `maxLength` columns, continuation lines indented by one space.
    /// `column`: columns already used on the first line.
    static func wrapped(_ s: String, column: Int) -> String {
        var out = ""
        var w = column
        var first = true
        for word in s.split(separator: " ", omittingEmptySubsequences: false) {
            let len = word.utf8.count
            if first {
                if column + len > maxLength, column > 0 {
                    out += "\n " + word
                    w = 1 + len
                } else {
                    out += word
                    w = column + len
                }
                first = false
            } else if w + 1 + len <= maxLength {
                out += " " + word
                w += 1 + len
            } else {
                out += "\n " + word
                w = 1 + len
            }
        }
        return out
    }

    /// `From: …` for `who`.
    static func from(_ who: Identity) -> String {
        var line = "From: "
        var max = maxLength
        if needsRFC2047(who.name) {
            line += rfc2047(who.name, column: 6, address: true)
            max = 76
        } else if needsRFC822Quoting(who.name) {
            line += wrapped(rfc822Quoted(who.name), column: 6)
        } else {
            line += wrapped(who.name, column: 6)
        }
        let last = line.split(separator: "\n", omittingEmptySubsequences: false).last.map { $0.utf8.count } ?? 0
        if max < last + 2 + who.email.utf8.count + 1 { line += "\n" }
        return line + " <\(who.email)>"
    }

    /// `Subject: [PATCH n/m] title`, encoded or folded.
    static func subject(prefix: String, title: String) -> String {
        let head = "Subject: \(prefix) "
        if needsRFC2047(title) { return head + rfc2047(title, column: head.utf8.count, address: false) }
        return head + wrapped(title, column: head.utf8.count)
    }
}

/// SHA-1 (FIPS 180-4), for git blob IDs in the patches' `index` lines.
enum SHA1 {
    static func hash(_ data: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
        var msg = data
        let bitLength = UInt64(data.count) * 8
        msg.append(0x80)
        while msg.count % 64 != 56 { msg.append(0) }
        for i in (0..<8).reversed() { msg.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: msg.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(msg[b]) << 24 | UInt32(msg[b + 1]) << 16 | UInt32(msg[b + 2]) << 8 | UInt32(msg[b + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = (x << 1) | (x >> 31)
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4]
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A827999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC
                default: f = b ^ c ^ d; k = 0xCA62C1D6
                }
                let t = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = (b << 30) | (b >> 2); b = a; a = t
            }
            h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d; h[4] = h[4] &+ e
        }
        return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - $0 * 8)) } }
    }

    /// The git object ID of a blob with `content` (`git hash-object`).
    static func gitBlobID(_ content: String) -> String {
        let bytes = Array(content.utf8)
        let header = Array("blob \(bytes.count)\0".utf8)
        return hash(header + bytes).map { String(format: "%02x", $0) }.joined()
    }
}
