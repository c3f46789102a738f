// `acsquirk lint` of a registry of 10,000 entries (generated; one file each, as the registry keeps
// them), in this process: loading, schema and every lint rule.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCIAccess
import Registry

/// Entry `i` of the generated registry: an Intel multifunction endpoint family of one device.
func generatedEntry(_ i: Int) -> String {
    """
    schema: 1
    vendor: 0x8086
    vendor-name: Intel
    family: Bench \(i)
    devices: [0x\(String(0x1000 + i, radix: 16))]
    applies-to:
      port-type: endpoint
      multifunction: true
    isolation:
      kind: no-peer-to-peer
      acs-equivalent: [SV, TB, RR, CR, UF, DT]
    evidence:
      statement: Intel has verified that the functions of Bench \(i) do not perform peer-to-peer with each other.
      confirmed-by: Jane Doe <jane.doe@vendor.example>
    kernel:
      status: new

    """
}

/// Writes `count` entries under `dir/quirks/intel/` and times `Registry.lint` over them.
func lintBenchmark(entries count: Int, in dir: String) {
    let folder = "\(dir)/quirks/intel"
    mkdir("\(dir)/quirks", 0o755)
    mkdir(folder, 0o755)
    for i in 0..<count {
        let path = "\(folder)/bench-\(i).yaml"
        guard let f = fopen(path, "w") else { fatalError("cannot write \(path)") }
        fputs(generatedEntry(i), f)
        fclose(f)
    }
    let t0 = now(), c0 = cpuNow()
    let result = Registry.lint(paths: ["\(dir)/quirks"], options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
    let wall = now() - t0, cpu = cpuNow() - c0
    let errors = result.diagnostics.filter { $0.severity == .error }
    print("lint of a generated registry")
    print(row(["entries", "files", "errors", "wall (ms)", "CPU (ms)", "µs/entry"]))
    print(row([String(result.entries.count), String(result.files.count), String(errors.count),
               fixed(wall * 1000, 1), fixed(cpu * 1000, 1), fixed(cpu / Double(count) * 1e6, 1)]))
    if let e = errors.first { print("  first error: \(e)") }
}
