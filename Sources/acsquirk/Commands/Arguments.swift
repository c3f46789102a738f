import ArgumentParser
import LinuxPCI

/// `--kernel 6.12`, `--kernel 5.9.3`: parsed and validated once, by `KernelProfile.parse(_:)`
/// (through `init?(argument:)`); a release outside 5.4 to the newest line is a usage error
/// (exit 2) that lists the known lines.
extension KernelProfile: ExpressibleByArgument {}
