/// One input format that `--dump` reads. A format is a type with a name, a test on the first
/// bytes of the input, and a parser; `DumpReader.formats` lists them.
///
/// To add a format: write `enum MyFormat: DumpFormat` in its own file and put it in
/// `DumpReader.formats` before `LspciHexDump`, which claims everything (`LspciText` and
/// `AcsquirkSnapshot` are examples).
public protocol DumpFormat: Sendable {
    /// A short name for messages, e.g. `lspci hex dump`.
    static var name: String { get }
    /// What kind of input it is, as `scan`'s JSON and `survey` name it.
    static var kind: InputFormat { get }
    /// Whether this format reads the input, judged from `head` (up to the first
    /// `DumpInput.headSize` bytes; the whole input when it is shorter). Cheap and certain: a
    /// format that is not sure leaves the input to the next one.
    static func claims(head: [UInt8]) -> Bool
    /// Reads every line of `input` (`input.forEachLine`, once) and returns the functions and
    /// the diagnostics. Bad content never throws: it becomes diagnostics, and any error makes the
    /// result fatal (`ParsedDump.isFatal`: the dump is refused).
    /// - Throws: `PCIAccessError` only when the input cannot be read.
    static func parse(_ input: DumpInput) throws(PCIAccessError) -> ParsedDump
    /// The same, for a format that turns names into IDs (lspci text without `-nn`): with the
    /// pci.ids at `idsPath` (default libpci's). Other formats ignore `idsPath`.
    static func parse(_ input: DumpInput, idsPath: String?) throws(PCIAccessError) -> ParsedDump
}

extension DumpFormat {
    public static func parse(_ input: DumpInput, idsPath: String?) throws(PCIAccessError) -> ParsedDump {
        try parse(input)
    }
}

/// The one entry point for reading a dump: the format is told from the content, then that
/// format's parser reads the input once, front to back (`PCIReader.load(.dump(path:))` uses it).
public enum DumpReader {
    /// The formats, asked in this order; the first that claims the input reads it.
    public static let formats: [any DumpFormat.Type] = [AcsquirkSnapshot.self, LspciText.self, LspciHexDump.self]

    /// The format that reads an input starting with `head`.
    public static func format(of head: [UInt8]) -> any DumpFormat.Type {
        formats.first { $0.claims(head: head) } ?? LspciHexDump.self
    }

    /// Reads the dump at `path` (a regular file or a pipe) in whatever format it is.
    /// - Throws: `PCIAccessError` when it cannot be opened or read (`path: error: ...`); bad
    ///   content is not thrown but reported in the result's diagnostics.
    public static func read(path: String, idsPath: String? = nil) throws(PCIAccessError) -> ParsedDump {
        let input = try DumpInput(path: path)
        return try format(of: input.head).parse(input, idsPath: idsPath)
    }

    /// Reads dump text given as bytes (tests, fuzzing); `file` is only used in messages.
    public static func read(bytes: [UInt8], file: String) -> ParsedDump {
        // Reading from memory cannot fail.
        (try? read(DumpInput(bytes: bytes, file: file)))
            ?? ParsedDump(file: file, format: LspciHexDump.name, diagnostics: [], devices: [], functions: [])
    }

    /// Detects the format of `input` from its head and parses it.
    public static func read(_ input: DumpInput) throws(PCIAccessError) -> ParsedDump {
        try format(of: input.head).parse(input)
    }
}
