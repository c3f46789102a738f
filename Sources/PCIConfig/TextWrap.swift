/// Greedy word wrap for generated text (C comments of static ACS tables, DOT labels): the words of
/// `text` (split at spaces, tabs and line breaks) in lines of at most `width` characters; a word
/// longer than `width` stands alone on its line. Deterministic; no trailing spaces.
public func wordWrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
        if line.isEmpty {
            line = String(word)
        } else if line.count + 1 + word.count <= width {
            line += " " + word
        } else {
            lines.append(line)
            line = String(word)
        }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}
