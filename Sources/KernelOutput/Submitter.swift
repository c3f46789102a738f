import Foundation
import Subprocess
import SystemPackage

/// Who submits a patch series: the `From:` and `Signed-off-by:` of every patch.
///
/// The submitter is whoever runs the tool and certifies the Developer's Certificate of Origin:
/// `--from "Name <email>"`, else git's `user.name` and `user.email` (as `git config` reads them in
/// the current directory, repository config included). The registry's `evidence.confirmed-by`
/// people are vendor contacts who confirmed the hardware behaviour privately; they never signed
/// anything, so they are named in the message and copied (`Cc:`), never used as the signer.
public enum Submitter {
    /// The message when no submitter is known (nothing is written then).
    public static let missingMessage = "no submitter for the patches: pass --from \"Full Name <email>\" or set "
        + "git config user.name and user.email (the entry's confirmed-by people are vendor contacts: they are "
        + "copied with Cc:, never From: or Signed-off-by:)"

    /// Resolves the submitter.
    /// - Parameters:
    ///   - explicit: the `--from` value (already validated by the caller; nil when not given).
    ///   - directory: where `git config` runs (nil: the current directory).
    /// - Returns: the identity and where it came from (`--from`, `git config`); nil when `--from`
    ///   is absent and git has no complete `user.name`/`user.email` (or git cannot run).
    public static func resolve(explicit: String?, directory: String? = nil) async -> (identity: Identity, source: String)? {
        if let explicit {
            return Identity(explicit).map { ($0, "--from") }
        }
        guard let name = await gitConfig("user.name", directory: directory),
              let email = await gitConfig("user.email", directory: directory),
              let id = Identity("\(name) <\(email)>")
        else { return nil }
        return (id, "git config")
    }

    /// `git config --get KEY` in `directory`: the trimmed value, nil when unset, empty or git fails.
    static func gitConfig(_ key: String, directory: String?) async -> String? {
        do {
            let r = try await Subprocess.run(
                .name("git"), arguments: ["config", "--get", key],
                workingDirectory: directory.map { FilePath($0) },
                output: .string(limit: 1 << 16), error: .discarded)
            guard case .exited(0) = r.terminationStatus else { return nil }
            let v = r.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            return v.isEmpty || v.contains("\n") ? nil : v
        } catch {
            return nil
        }
    }
}
