@testable import Registry

/// Registry's own reader of drivers/pci/quirks.c (internal to Registry), for the cross-check of
/// the two readers. This file imports only Registry, so `QuirksSource` here is Registry's.
enum RegistryInternals {
    /// Every top-level definition Registry's reader finds: name -> (line of `static`, function?).
    static func definitions(_ text: String) throws -> [String: (line: Int, isFunction: Bool)] {
        try QuirksSource.parse(text, path: "drivers/pci/quirks.c").definitions.mapValues { ($0.line, $0.isFunction) }
    }
}
