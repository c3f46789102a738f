import ArgumentParser
import LinuxPCI

/// `--cmdline`, shared by `groups`, `check` and `run`: the kernel command line to predict for.
/// `KernelCommandLine.resolve` is the one default (live: /proc/cmdline; a snapshot: the one it
/// recorded; a dump: none).
struct KernelCommandLineOption: ParsableArguments {
    @Option(name: .customLong("cmdline"), help: ArgumentHelp(
        "Kernel command line to predict for, e.g. \"intel_iommu=on pci=disable_acs_redir=0000:00:01.0\": pci=disable_acs_redir=, pci=config_acs=, pci=noats, intel_iommu=off, amd_iommu=off, iommu=off and the out-of-tree pcie_acs_override= act; other parameters are listed as ignored (default: this machine's /proc/cmdline; a snapshot's recorded one; none for a dump).",
        valueName: "parameters"))
    var cmdline: String?

    /// The command line for an input that is `live` or recorded `recorded`.
    func resolve(live: Bool, recorded: String?) -> KernelCommandLine {
        KernelCommandLine.resolve(cmdline, live: live, recorded: recorded)
    }
}
