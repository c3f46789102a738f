import Foundation

/// Where producers put their diagnostics (after swift-openapi-generator's `DiagnosticCollector`):
/// a producer emits each finding as it finds it; the collector decides whether it is kept,
/// printed, counted or turned into an error.
public protocol DiagnosticCollector {
    /// Takes one diagnostic. Throws when the collector stops the work on it
    /// (`ErrorThrowingDiagnosticCollector`).
    func emit(_ diagnostic: Diagnostic) throws
}

extension DiagnosticCollector {
    /// Emits every diagnostic of `diagnostics`, in order.
    public func emit(contentsOf diagnostics: some Sequence<Diagnostic>) throws {
        for d in diagnostics { try emit(d) }
    }
}

/// Keeps every diagnostic, in the order emitted.
public final class AccumulatingDiagnosticCollector: DiagnosticCollector, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Diagnostic] = []

    public init() {}

    public func emit(_ diagnostic: Diagnostic) {
        lock.withLock { collected.append(diagnostic) }
    }

    /// What was emitted, in order.
    public var diagnostics: [Diagnostic] { lock.withLock { collected } }
}

/// Prints each diagnostic as the text reporter writes it (`TextReporter.line`), one line each,
/// through `write` (the CLI passes its stderr writer).
public struct PrintingDiagnosticCollector: DiagnosticCollector, Sendable {
    let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    public func emit(_ diagnostic: Diagnostic) {
        write(TextReporter.line(diagnostic))
    }
}

/// Counts the diagnostics of each severity and passes them on to `upstream`.
public final class CountingDiagnosticCollector: DiagnosticCollector, @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Diagnostic.Severity: Int] = [:]
    public let upstream: any DiagnosticCollector

    public init(upstream: any DiagnosticCollector) {
        self.upstream = upstream
    }

    public func emit(_ diagnostic: Diagnostic) throws {
        lock.withLock { counts[diagnostic.severity, default: 0] += 1 }
        try upstream.emit(diagnostic)
    }

    /// How many diagnostics of `severity` were emitted.
    public func count(_ severity: Diagnostic.Severity) -> Int { lock.withLock { counts[severity] ?? 0 } }
    public var errorCount: Int { count(.error) }
    public var warningCount: Int { count(.warning) }
    public var noteCount: Int { count(.note) }
}

/// Passes every diagnostic on to `upstream`, then throws `DiagnosticError` for one at or above
/// `severity` (`.error` unless told): the work stops at the first such finding, which `upstream`
/// has already been given.
public struct ErrorThrowingDiagnosticCollector: DiagnosticCollector {
    public let upstream: any DiagnosticCollector
    public let severity: Diagnostic.Severity

    public init(upstream: any DiagnosticCollector, severity: Diagnostic.Severity = .error) {
        self.upstream = upstream
        self.severity = severity
    }

    public func emit(_ diagnostic: Diagnostic) throws {
        try upstream.emit(diagnostic)
        if diagnostic.severity >= severity { throw DiagnosticError(diagnostic: diagnostic) }
    }
}

/// The diagnostic an `ErrorThrowingDiagnosticCollector` stopped on.
public struct DiagnosticError: Error, Hashable, Sendable, CustomStringConvertible {
    public var diagnostic: Diagnostic
    public init(diagnostic: Diagnostic) { self.diagnostic = diagnostic }
    public var description: String { diagnostic.description }
}
