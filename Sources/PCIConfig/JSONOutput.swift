#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The one JSON encoder of acsquirk: every `--format json` output (scan, groups, check, lint,
/// show), the files `run` writes, SARIF and the registry's JSON Schema go through it, so they share
/// one layout: Foundation's `JSONEncoder`, pretty-printed with two-space indentation, keys sorted,
/// `/` not escaped, a newline at the end. Byte-identical for the same value.
///
/// A command's document carries `"format": "acsquirk-<command>/<version>"` (the version goes up
/// when a field changes meaning or goes away; adding a field keeps it) and is described by the JSON
/// Schema `docs/schemas/<command>.schema.json`.
public enum JSONOutput {
    /// `value` as a JSON document with its `format` key added at the top level.
    public static func encode(_ value: some Encodable, format: String) -> String {
        encode(Versioned(format: format, value: value))
    }

    /// `value` as a JSON document as it is (for formats defined elsewhere: SARIF, JSON Schema).
    public static func encode(_ value: some Encodable) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try e.encode(value), as: UTF8.self) + "\n"
        } catch {
            // Our values hold strings, integers, booleans and arrays: nothing JSONEncoder refuses.
            preconditionFailure("acsquirk: JSON encoding of \(type(of: value)) failed: \(error)")
        }
    }

    /// The value's own keys and `format`, in one object.
    private struct Versioned<Value: Encodable>: Encodable {
        var format: String
        var value: Value
        enum Keys: String, CodingKey { case format }

        func encode(to encoder: any Encoder) throws {
            try value.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(format, forKey: .format)
        }
    }
}
