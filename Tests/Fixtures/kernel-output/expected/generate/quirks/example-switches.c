/*
 * ACS quirks for Example Switches (0x1f2b) that are not in Linux yet, generated
 * by acsquirk from the registry: ES-8 TEST-ONLY.
 *
 * Not a file of its own: `acsquirk patch --kernel-tree DIR` places this code in
 * drivers/pci/quirks.c (functions above pci_dev_acs_enabled[], rows next to the
 * vendor's rows, before any row that would answer first).
 *
 * Vendor 0x1f2b is written as a literal: check include/linux/pci_ids.h for a
 * PCI_VENDOR_ID_* macro (run with --kernel-tree to resolve it).
 */

/*
 * Example Switches ES-8 TEST-ONLY
 * (Tests/Fixtures/kernel-output/registry/example-switches/es-8-test-only.yaml)
 * Devices: 1f2b:0200-020f
 * Code: a new function pci_quirk_example_es8_acs() (below) and its table rows.
 *
 * Example Switches has verified that the ES-8 downstream ports never route
 * peer-to-peer requests between each other; all requests go to the upstream
 * port.
 *
 * Confirmed by Jane Example.
 * Vendor statement: https://example.com/acs/statement
 */
/*
 * Example Switches ES-8 TEST-ONLY Switch Downstream Ports do not advertise an
 * ACS capability, but they do not allow peer-to-peer transactions between each
 * other.
 */
static int pci_quirk_example_es8_acs(struct pci_dev *dev, u16 acs_flags)
{
	if (!pci_is_pcie(dev) || pci_pcie_type(dev) != PCI_EXP_TYPE_DOWNSTREAM)
		return -ENOTTY;

	switch (dev->device) {
	case 0x0200 ... 0x020f:
		return pci_acs_ctrl_enabled(acs_flags,
			PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF);
	}

	return -ENOTTY;
}

/* Rows for pci_dev_acs_enabled[] in drivers/pci/quirks.c. */
static const struct pci_dev_acs_enabled acsquirk_example_switches_acs_rows[] __maybe_unused = {
	/* Example Switches ES-8 TEST-ONLY */
	{ 0x1f2b, PCI_ANY_ID, pci_quirk_example_es8_acs },
	{ 0 }
};
