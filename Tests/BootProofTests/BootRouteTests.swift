import Foundation
import LinuxPCI
import PCIConfig
import Testing
import TestSupport
@testable import BootProof

/// The cases of Tests/Fixtures/prove load, and each is a real proof: its entries exist, it has a
/// control, and its topology is what boot.sh takes.
@Test func casesLoad() throws {
    let cases = try ProofCase.all(in: ProveFixtures.root)
    #expect(cases.map(\.name) == ["combined", "mf-endpoint", "nvme-function", "root-ports"])
    #expect(ProveFixtures.cases.map(\.name) == cases.map(\.name))
    // Every code shape the generator writes for these devices is proven by some case: rows for an
    // existing function (82574L), a new endpoint function with conditions (nvme), a new
    // root-port function; and two patches of one series together.
    let used = Set(cases.flatMap(\.entries).map { ($0 as NSString).lastPathComponent })
    #expect(used == ["82574l-test-only.yaml", "qemu-nvme-test-only.yaml", "qemu-pcie-root-port-test-only.yaml"])
    #expect(cases.contains { $0.entries.count > 1 })
    // The versions the cases were last proven with are pinned beside them.
    let pinned = try Fixtures.text("prove/proven-with.txt").split(separator: "\n").filter { !$0.hasPrefix("#") }
        .map { String($0.prefix { $0 != ":" }) }
    #expect(pinned == ["qemu", "module route kernel", "tree route source", "tree route compiler"])
}

/// The module route, in `make test`: Debian's 6.12 kernel (the current ABI, fetched by
/// scripts/oracle/kernel.sh) boots each topology with the acs-quirk module carrying the rows and
/// functions copied from the patched quirks.c, records the groups formed at boot, rescans with the
/// rows off and then on. Each state must equal `acsquirk groups`' prediction from the booted dump:
/// at boot with the kernel's numbers, after a rescan as a partition (the kernel numbers groups
/// anew). A missing package or download fails the test; nothing is skipped.
@Suite(.timeLimit(.minutes(30)))
struct ModuleRouteTests {
    @Test(arguments: ProveFixtures.cases)
    func bootedGroupsEqualThePrediction(_ c: ProofCase) async throws {
        let (prover, proof, report, r) = try await ProveFixtures.prove(c, on: .module)
        let atBoot = r.without[0].booted, off = r.without[1].booted, with = r.with.booted

        // The prediction as the command line makes it, from the dump the guest took.
        let cli = try await ProveFixtures.cliPrediction(dump: r.directory + "/boot/dump.txt", entries: c.entries)
        // Without the patch: the kernel's own groups at boot, numbers included, and the same
        // partition after a rescan with the module's rows off.
        #expect(atBoot == cli.without, "\(report)")
        #expect(partition(off) == partition(cli.without), "\(report)")
        // With the patch: the partition the prediction with the entries gives.
        #expect(partition(with) == partition(cli.with), "\(report)")
        // The patch changed the booted groups, and the control group stayed exactly as it was.
        #expect(partition(with) != partition(atBoot), "\(report)")
        for control in c.controls {
            for state in [atBoot, off, with] {
                #expect(ProveFixtures.group(of: control, in: state) == control, "\(report)")
            }
        }
        // The module ran the patch's rows, copied from the file git am wrote.
        let patched = try String(contentsOfFile: proof.patchedQuirks, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        for row in proof.module.rows {
            #expect(proof.module.header.contains(patched[row.line - 1] + "\n"))
        }
        ProveFixtures.expectProven(proof, prover, report: report)
    }
}

/// The in-tree route, in `make test`: the kernel tree built with tinyconfig +
/// scripts/oracle/iommu-boot.config without and with the series (scripts/oracle/bzimage.sh; the
/// images are cached, so a warm run only boots), each booted with the topology. With the rows
/// inside pci_dev_acs_enabled[] where acsquirk patch put them, both boots must equal the
/// prediction from the booted dump, group numbers included.
@Suite(.timeLimit(.minutes(60)))
struct TreeRouteTests {
    @Test(arguments: ProveFixtures.cases)
    func bootedGroupsAndNumbersEqualThePrediction(_ c: ProofCase) async throws {
        let (prover, proof, report, r) = try await ProveFixtures.prove(c, on: .tree)
        let without = r.without[0].booted, with = r.with.booted

        let cli = try await ProveFixtures.cliPrediction(dump: r.directory + "/without/dump.txt", entries: c.entries)
        #expect(without == cli.without, "\(report)")
        #expect(with == cli.with, "\(report)")
        #expect(partition(with) != partition(without), "\(report)")
        for control in c.controls {
            #expect(ProveFixtures.group(of: control, in: without) == control, "\(report)")
            #expect(ProveFixtures.group(of: control, in: with) == control, "\(report)")
        }
        // The kernel that booted with the series is the tree's version, built here.
        let release = try String(contentsOfFile: r.directory + "/with/release.txt", encoding: .utf8)
        #expect(release.hasPrefix("6.12."), "\(release)")
        ProveFixtures.expectProven(proof, prover, report: report)
    }
}
