import ArgumentParser
import Registry

/// How every command finds the registry (Sources/Registry/ProjectResources.swift has the order):
/// the kernel's table always comes from the **shipped** registry of the binary's home; the entries
/// a command works on default to the **working** registry (`./quirks` when present, else the
/// shipped one). Any failure is printed as `acsquirk COMMAND: …` and exits 2, so no command ever
/// runs with an empty kernel table.
enum RegistryCLI {
    /// The shipped registry folder (`Registry.shippedRegistryPath()`).
    static func shipped(command: String) throws -> String {
        do throws(PredictionRegistryError) {
            return try Registry.shippedRegistryPath()
        } catch {
            Console.error("acsquirk \(command): \(error)")
            throw ExitStatus.badInput
        }
    }

    /// `given` when not empty, else the working registry (`Registry.workingRegistryPath()`).
    static func working(_ given: [String], command: String) throws -> [String] {
        if !given.isEmpty { return given }
        do throws(PredictionRegistryError) {
            return [try Registry.workingRegistryPath()]
        } catch {
            Console.error("acsquirk \(command): \(error); or name the registry files")
            throw ExitStatus.badInput
        }
    }

    /// The kernel's table from the shipped registry and what-if material from it and `extra`
    /// (`Registry.loadForPrediction(extra:)`); its warnings are printed.
    static func prediction(extra: [String], command: String) throws -> PredictionRegistry {
        do throws(PredictionRegistryError) {
            let reg = try Registry.loadForPrediction(extra: extra)
            for w in reg.warnings { Console.diagnostics.emit(w) }
            return reg
        } catch {
            Console.error("acsquirk \(command): \(error)")
            throw ExitStatus.badInput
        }
    }
}
