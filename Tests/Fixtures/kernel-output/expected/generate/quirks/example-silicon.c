/*
 * ACS quirks for Example Silicon (0x1f2a) that are not in Linux yet, generated
 * by acsquirk from the registry: XS-100 TEST-ONLY NIC.
 *
 * Not a file of its own: `acsquirk patch --kernel-tree DIR` places this code in
 * drivers/pci/quirks.c (functions above pci_dev_acs_enabled[], rows next to the
 * vendor's rows, before any row that would answer first).
 *
 * Vendor 0x1f2a is written as a literal: check include/linux/pci_ids.h for a
 * PCI_VENDOR_ID_* macro (run with --kernel-tree to resolve it).
 */

/*
 * Example Silicon XS-100 TEST-ONLY NIC
 * (Tests/Fixtures/kernel-output/registry/example-silicon-xs100.yaml)
 * Devices: 1f2a:0100 and 1f2a:0101
 * Code: table rows calling pci_quirk_mf_endpoint_acs() (below).
 *
 * Example Silicon XS-100 TEST-ONLY NIC devices are multi-function devices
 * without an ACS capability, but they do not perform peer-to-peer transactions
 * between their functions.
 *
 * Example Silicon has verified that the XS-100 functions cannot perform
 * peer-to-peer transactions with each other: the device forwards every request
 * from a function upstream.
 *
 * Allow each function to be in a separate IOMMU group by reporting the ACS
 * controls SV/TB/RR/CR/UF/DT as enabled.
 *
 * Confirmed by Jane Example <jane@example.com> on 2025-01-15.
 * Vendor statement: https://example.com/acs/statement
 */

/* Rows for pci_dev_acs_enabled[] in drivers/pci/quirks.c. */
static const struct pci_dev_acs_enabled acsquirk_example_silicon_acs_rows[] __maybe_unused = {
	/* Example Silicon XS-100 TEST-ONLY NIC */
	{ 0x1f2a, 0x0100, pci_quirk_mf_endpoint_acs },
	{ 0x1f2a, 0x0101, pci_quirk_mf_endpoint_acs },
	{ 0 }
};
