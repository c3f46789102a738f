/// A JSON value with ordered object members, so that output is deterministic
/// (used for the JSON Schema, `lint --format json|sarif` and `show --format json`).
public indirect enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case let .bool(b): h.combine(b)
        case let .int(i): h.combine(i)
        case let .string(s): h.combine(s)
        case let .array(a): h.combine(a)
        case let .object(o): for (k, v) in o { h.combine(k); h.combine(v) }
        }
    }

    /// Member lookup for objects.
    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    /// Serialized with two-space indentation and a trailing newline when `pretty`, else on one line.
    public func serialized(pretty: Bool = true) -> String {
        var out = ""
        write(to: &out, indent: pretty ? 0 : nil)
        if pretty { out += "\n" }
        return out
    }

    private func write(to out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .string(s): out += JSONValue.quote(s)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            // Short arrays of scalars stay on one line.
            let scalars = items.allSatisfy { if case .array = $0 { false } else if case .object = $0 { false } else { true } }
            if let indent, !scalars {
                out += "[\n"
                for (i, v) in items.enumerated() {
                    out += String(repeating: " ", count: indent + 2)
                    v.write(to: &out, indent: indent + 2)
                    out += i == items.count - 1 ? "\n" : ",\n"
                }
                out += String(repeating: " ", count: indent) + "]"
            } else {
                out += "["
                for (i, v) in items.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    v.write(to: &out, indent: indent)
                }
                out += "]"
            }
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            if let indent {
                out += "{\n"
                for (i, (k, v)) in members.enumerated() {
                    out += String(repeating: " ", count: indent + 2) + JSONValue.quote(k) + ": "
                    v.write(to: &out, indent: indent + 2)
                    out += i == members.count - 1 ? "\n" : ",\n"
                }
                out += String(repeating: " ", count: indent) + "}"
            } else {
                out += "{"
                for (i, (k, v)) in members.enumerated() {
                    if i > 0 { out += "," }
                    out += JSONValue.quote(k) + ":"
                    v.write(to: &out, indent: nil)
                }
                out += "}"
            }
        }
    }

    /// A JSON string literal (RFC 8259 escapes; non-ASCII kept as UTF-8).
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7f || u.value == 0x2028 || u.value == 0x2029:
                out += "\\u" + hex4(u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    private static func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

extension Diagnostic {
    /// `{"path", "line", "column", "severity", "rule", "message"}`.
    public var json: JSONValue {
        .object([
            ("path", .string(path)), ("line", hasPosition ? .int(line) : .null),
            ("column", hasPosition ? .int(column) : .null),
            ("severity", .string(severity.rawValue)), ("rule", .string(rule)), ("message", .string(message)),
        ])
    }
}
