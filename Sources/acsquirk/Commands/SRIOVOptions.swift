import ArgumentParser
import LinuxPCI
import PCIConfig

/// `--sriov 01:00.0=8`: parsed by `SRIOVNumVFs.init?(argument:)`; a malformed one is a usage error (exit 2).
extension SRIOVNumVFs: ExpressibleByArgument {}

/// The SR-IOV what-if (`--sriov BDF=N`, repeatable): the groups of VFs not enabled yet, as if N
/// were written to the PF's `sriov_numvfs` (`LinuxSystem.sriovNumVFs`, placed by LinuxPCI's
/// `VirtualFunctions`).
struct SRIOVOptions: ParsableArguments {
    @Option(name: .customLong("sriov"), help: ArgumentHelp("What-if: N SR-IOV VFs enabled on the PF at BDF, as if N were written to its sriov_numvfs (0 disables; at most TotalVFs; repeatable).", valueName: "BDF=N"))
    var requests: [SRIOVNumVFs] = []

    /// NumVFs by PF for `LinuxSystem.sriovNumVFs`. A PF named twice, or a request the kernel
    /// would refuse on `functions` (no SR-IOV capability, beyond TotalVFs, ...), is printed with
    /// its reason and exits 2.
    func numVFs(for functions: [PCIFunction], command: String) throws -> [PCIAddress: Int] {
        var out: [PCIAddress: Int] = [:]
        for r in requests {
            if out[r.pf] != nil {
                Console.error("acsquirk \(command): --sriov names \(r.pf.shortDescription) twice")
                throw ExitStatus.badInput
            }
            out[r.pf] = r.numVFs
        }
        let refused = VirtualFunctions(functions, numVFs: out).refused
        for why in refused { Console.error("acsquirk \(command): --sriov: \(why)") }
        if !refused.isEmpty { throw ExitStatus.badInput }
        return out
    }
}
