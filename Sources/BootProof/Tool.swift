import Foundation
import Subprocess
import SystemPackage

/// Why a proof could not be made (a tool failed, a file is missing): the message names the
/// command or file and carries the tool's last output lines.
public struct ProofError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs the real tools the proof needs (acsquirk, git, scripts/oracle) with swift-subprocess.
enum Tool {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` (a path, or a name looked up in PATH); output collected up to 16 MiB each.
    /// Throws a ProofError naming the executable when it cannot be started.
    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                    environment: [String: String] = [:]) async throws -> Result {
        var env = Environment.inherit
        for (k, v) in environment { env = env.updating([Environment.Key(stringLiteral: k): v]) }
        let exe: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
        do {
            let r = try await Subprocess.run(exe, arguments: Arguments(arguments), environment: env,
                                             workingDirectory: directory.map { FilePath($0) },
                                             output: .string(limit: 16 << 20), error: .string(limit: 16 << 20))
            let status: Int32
            switch r.terminationStatus {
            case let .exited(c): status = c
            case let .signaled(s): status = 128 + s
            }
            return Result(status: status, stdout: r.standardOutput, stderr: r.standardError)
        } catch {
            // Not found or not executable (a missing package), or too much output: said, never skipped.
            throw ProofError("cannot run \(executable): \(error) (is its package installed? make test-deps installs "
                             + "what the proof needs: docs/prove.md)")
        }
    }

    /// `run`, throwing a ProofError with the command and its last 25 output lines unless it exits 0.
    @discardableResult
    static func check(_ executable: String, _ arguments: [String], in directory: String? = nil,
                      environment: [String: String] = [:]) async throws -> Result {
        let r = try await run(executable, arguments, in: directory, environment: environment)
        guard r.status == 0 else {
            let tail = (r.stdout + r.stderr).split(separator: "\n").suffix(25).joined(separator: "\n")
            throw ProofError("\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) "
                             + "failed (exit \(r.status)):\n\(tail)")
        }
        return r
    }
}

/// At most `limit` bodies at a time (QEMU boots and builds on a small machine).
actor Slots {
    private let limit: Int
    private var used = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) { self.limit = max(1, limit) }

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let r = try await body()
            release()
            return r
        } catch {
            release()
            throw error
        }
    }

    private func acquire() async {
        if used < limit { used += 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { used -= 1 } else { waiting.removeFirst().resume() }
    }
}
