import Diagnostics
import Foundation
import Mustache
import Registry
import SafeFiles

/// The swift-mustache templates in the repository's `templates/` directory, loaded at run time.
///
/// Every template starts with `{{% CONTENT_TYPE: TEXT}}` (no HTML escaping). Templates hold the
/// words and the shape of the C code; the Swift view models do the logic (which sections apply,
/// hex formatting, wrapping to the column limit). Prose templates (`claim-comment`,
/// `commit-message`) produce paragraphs separated by empty lines; lines inside a paragraph are
/// joined and re-wrapped by Swift, and a line starting with `|` is kept as its own line.
public struct TemplateSet: Sendable {
    /// The templates this module needs, without the `.mustache` extension.
    public static let names = [
        "table-rows", "quirk-function", "claim-comment", "row-comment", "commit-message", "id-cases", "id-array",
        "stub-file", "stub-header", "stub-entry", "cover-letter",
    ]
    /// A file every template directory must contain (used to find the directory).
    public static let marker = "quirk-function.mustache"

    /// The directory the templates were read from.
    public let directory: String
    let library: MustacheLibrary

    /// Loads every template of `names` from `directory`. Throws `.template` naming the missing
    /// file, or the file, line and column of a parse error.
    public init(directory: String) throws(KernelOutputError) {
        self.directory = directory
        var library = MustacheLibrary()
        for name in Self.names {
            let path = (directory as NSString).appendingPathComponent(name + ".mustache")
            let text: String
            do throws(FileError) {
                text = try TextFile.read(path)
            } catch {
                throw .template(Diagnostic.Location(file: path), "\(error.problem); pass --templates DIR")
            }
            guard text.hasPrefix("{{% CONTENT_TYPE: TEXT}}") else {
                throw .template(Diagnostic.Location(file: path, line: 1), "must start with {{% CONTENT_TYPE: TEXT}}")
            }
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch let e as MustacheTemplate.ParserError {
                throw .template(Diagnostic.Location(file: path, line: e.context.lineNumber),
                                "column \(e.context.columnNumber): \(e.error)")
            } catch {
                throw .template(Diagnostic.Location(file: path), "\(error)")
            }
        }
        self.library = library
    }

    /// Renders template `name` with `view` (a struct or dictionary).
    public func render(_ name: String, _ view: Any) -> String {
        library.render(view, withTemplate: name) ?? ""
    }

    /// Finds the templates directory: `explicit` if given; else the templates acsquirk shipped
    /// with, as `ProjectResources.locate` (module Registry) finds them: `../share/acsquirk/templates`
    /// next to the executable, `$ACSQUIRK_HOME/templates`, the checkout holding the executable, the
    /// checkout it was built from; else `templates` (whose absence `init` reports, naming
    /// `--templates DIR`).
    public static func locate(explicit: String?) -> String {
        explicit ?? ProjectResources.locate("templates") ?? "templates"
    }
}

/// Prose rendered from a template, split into paragraphs and verbatim lines.
enum Prose {
    enum Block: Equatable {
        /// Words to be re-wrapped.
        case paragraph([String])
        /// A line kept as is (a template line starting with `|`).
        case verbatim(String)
        /// An empty line between paragraphs.
        case gap
    }

    /// Splits rendered template text: empty lines separate paragraphs, `|` lines stay lines.
    /// Paragraph text can hold registry text with its own line breaks: they become spaces, and
    /// empty lines inside it become paragraph gaps.
    static func blocks(_ rendered: String) -> [Block] {
        var blocks: [Block] = []
        var words: [String] = []
        func flush() {
            if !words.isEmpty { blocks.append(.paragraph(words)); words = [] }
        }
        func gap() {
            flush()
            if let last = blocks.last, last != .gap { blocks.append(.gap) }
        }
        for line in rendered.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") {
                flush()
                blocks.append(.verbatim(CText.singleLine(String(line.dropFirst()))))
            } else if line.allSatisfy(CText.isSpace) {
                gap()
            } else {
                // Registry text may carry paragraph breaks of its own.
                let paras = CText.paragraphs(String(line))
                for (i, p) in paras.enumerated() {
                    if i > 0 { gap() }
                    words += p
                }
            }
        }
        flush()
        while blocks.last == .gap { blocks.removeLast() }
        while blocks.first == .gap { blocks.removeFirst() }
        return blocks
    }
}
