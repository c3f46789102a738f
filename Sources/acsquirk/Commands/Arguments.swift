import ArgumentParser
import LinuxPCI

/// `--kernel 6.12`: parsed and validated once, by `KernelProfile.init?(argument:)`; an unknown
/// profile is a usage error (exit 2) that lists the known ones.
extension KernelProfile: ExpressibleByArgument {}
