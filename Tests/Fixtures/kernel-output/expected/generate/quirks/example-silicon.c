/*
 * ACS quirks for Example Silicon (0x1f2a) that are not in Linux yet, generated
 * by acsquirk from the registry: XS-100 TEST-ONLY NIC and XS-200 TEST-ONLY.
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
 * (Tests/Fixtures/kernel-output/registry/example-silicon/xs-100-test-only-nic.y
 * aml)
 * Devices: 1f2a:0100 and 1f2a:0101
 * Code: table rows calling pci_quirk_mf_endpoint_acs() (below).
 *
 * Example Silicon XS-100 TEST-ONLY NIC is a multi-function device without an
 * ACS capability, but its functions cannot do peer-to-peer transactions with
 * each other.
 *
 * Example Silicon has verified that the XS-100 functions cannot perform
 * peer-to-peer transactions with each other: the device forwards every request
 * from a function upstream.
 *
 * Confirmed by Jane Example.
 * Vendor statement: https://example.com/acs/statement
 */

/*
 * Example Silicon XS-200 TEST-ONLY
 * (Tests/Fixtures/kernel-output/registry/example-silicon/xs-200-test-only.yaml)
 * Devices: 1f2a:0110 and 1f2a:0111
 * Code: a new function pci_quirk_example_xs200_acs() (below) and its table
 * rows.
 *
 * Example Silicon has verified that the functions of the XS-200 Ethernet
 * controllers never perform peer-to-peer transactions with each other.
 *
 * Confirmed by Jane Example.
 * Vendor statement: https://example.com/acs/statement
 */
/*
 * Example Silicon XS-200 TEST-ONLY devices are multi-function devices without
 * an ACS capability, but their functions cannot do peer-to-peer transactions
 * with each other.
 */
static int pci_quirk_example_xs200_acs(struct pci_dev *dev, u16 acs_flags)
{
	if (!pci_is_pcie(dev) ||
	    (pci_pcie_type(dev) != PCI_EXP_TYPE_ENDPOINT &&
	     pci_pcie_type(dev) != PCI_EXP_TYPE_LEG_END))
		return -ENOTTY;

	if (!dev->multifunction)
		return -ENOTTY;

	if ((dev->class >> 8) != 0x0200)
		return -ENOTTY;

	return pci_acs_ctrl_enabled(acs_flags,
		PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF);
}

/* Rows for pci_dev_acs_enabled[] in drivers/pci/quirks.c. */
static const struct pci_dev_acs_enabled acsquirk_example_silicon_acs_rows[] __maybe_unused = {
	/* Example Silicon XS-100 TEST-ONLY NIC */
	{ 0x1f2a, 0x0100, pci_quirk_mf_endpoint_acs },
	{ 0x1f2a, 0x0101, pci_quirk_mf_endpoint_acs },
	/* Example Silicon XS-200 TEST-ONLY */
	{ 0x1f2a, 0x0110, pci_quirk_example_xs200_acs },
	{ 0x1f2a, 0x0111, pci_quirk_example_xs200_acs },
	{ 0 }
};
