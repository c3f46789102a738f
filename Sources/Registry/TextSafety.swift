/// The one check of registry text for characters that cannot be shown faithfully, shared by lint's
/// `unsafe-text` rule and the kernel-code generators (KernelOutput's `CText.check`): whatever
/// `acsquirk patch` or `generate` would refuse, `acsquirk lint` (and so CI) reports first.
///
/// Registry text lands in C comments, commit messages and mail headers, where a reviewer must see
/// exactly what is there. Refused, with the first offending scalar named:
/// - C0 control characters other than tab, line feed and carriage return; DEL; C1 controls
///   (U+0080–U+009F, NEL included);
/// - every Unicode *format* character (general category Cf): the bidirectional embeddings,
///   overrides, isolates and marks ("Trojan Source", CVE-2021-42574: U+202A–U+202E,
///   U+2066–U+2069, U+200E/U+200F, U+061C), zero-width space/joiners (U+200B–U+200D), word joiner
///   and invisible operators (U+2060–U+2064), the byte-order mark U+FEFF, soft hyphen U+00AD,
///   interlinear annotations (U+FFF9–U+FFFB), tag characters (U+E0001, U+E0020–U+E007F), …;
/// - characters that render as nothing though they are letters: the Hangul fillers U+115F,
///   U+1160, U+3164, U+FFA0;
/// - private-use code points, unassigned code points and noncharacters.
///
/// Line breaks (and whether a field may hold them), `*/`, `/*`, trigraphs and trailing backslashes
/// are left to the caller: lint refuses them, the generators escape them.
public enum TextSafety {
    /// Why `text` is unsafe, naming the first offending code point (`"contains a Unicode
    /// bidirectional control character (U+202E)"`), or `nil` when it is safe.
    public static func problem(in text: String) -> String? {
        for scalar in text.unicodeScalars {
            if let what = describe(scalar) {
                return "contains \(what) (\(codePoint(scalar))); remove it"
            }
        }
        return nil
    }

    /// `U+202E`.
    public static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let h = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - h.count)) + h
    }

    /// What kind of unsafe character `scalar` is, or nil when it is allowed.
    static func describe(_ scalar: Unicode.Scalar) -> String? {
        let v = scalar.value
        switch v {
        case 0x09, 0x0a, 0x0d: return nil
        case 0x00: return "a NUL character"
        case 0x01...0x1f, 0x7f: return "a control character"
        case 0x80...0x9f: return "a C1 control character"
        case 0x061c, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069:
            return "a Unicode bidirectional control character (it can make the code read differently from what it does)"
        case 0x200b...0x200d, 0x2060...0x2064, 0x180e:
            return "an invisible zero-width character"
        case 0xfeff: return "a zero-width no-break space (byte-order mark)"
        case 0xfff9...0xfffb: return "an interlinear annotation character"
        case 0x115f, 0x1160, 0x3164, 0xffa0: return "an invisible Hangul filler"
        default: break
        }
        switch scalar.properties.generalCategory {
        case .format: return "an invisible format character"
        case .privateUse: return "a private-use character"
        case .unassigned: return "an unassigned code point"
        default: break
        }
        if scalar.properties.isNoncharacterCodePoint { return "a noncharacter" }
        return nil
    }
}
