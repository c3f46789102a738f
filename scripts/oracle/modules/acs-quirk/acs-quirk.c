// SPDX-License-Identifier: GPL-2.0
/*
 * acs-quirk: act as one more row of the kernel's pci_dev_acs_enabled[] table (drivers/pci/quirks.c)
 * for one vendor:device, in a stock kernel and for testing only. A kretprobe on
 * pci_dev_specific_acs_enabled() answers for the matching device when the kernel's own table had
 * no answer (-ENOTTY), as a row appended to the table would; the answer is that of
 * pci_acs_ctrl_enabled(acs_flags, ena) with ena = SV|TB|RR|CR|UF|DT by default, the claim of
 * pci_quirk_mf_endpoint_acs(). IOMMU groups are formed when a device is added, so the devices
 * must be removed and rescanned afterwards (hooks/rescan.sh).
 *
 * The rescan differs from boot in one way this module corrects: pci_scan_single_device() adds a
 * function (and the IOMMU core groups it) before pci_scan_slot() sets dev->multifunction on
 * functions > 0, so pci_device_group() would see them as single-function. A kprobe on
 * pci_device_group() sets the flag first, as enumeration at boot would have.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/pci.h>

static unsigned int vendor = 0xffff, device = 0xffff;
module_param(vendor, uint, 0444);
MODULE_PARM_DESC(vendor, "vendor ID the row matches");
module_param(device, uint, 0444);
MODULE_PARM_DESC(device, "device ID the row matches");
static unsigned int ena = PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF | PCI_ACS_DT;
module_param(ena, uint, 0444);
MODULE_PARM_DESC(ena, "ACS controls the device behaves as if enabled (default SV|TB|RR|CR|UF|DT)");

struct call { struct pci_dev *dev; u16 acs_flags; };

static int acs_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct call *c = (struct call *)ri->data;

	c->dev = (struct pci_dev *)regs->di;
	c->acs_flags = (u16)regs->si;
	return 0;
}

static int acs_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct call *c = (struct call *)ri->data;

	if (!c->dev || (int)regs_return_value(regs) != -ENOTTY ||
	    c->dev->vendor != vendor || c->dev->device != device)
		return 0;
	regs_set_return_value(regs, (c->acs_flags & ena) == c->acs_flags ? 1 : 0);
	pci_info(c->dev, "acs-quirk: acs_flags %#06x -> %ld\n", c->acs_flags, regs_return_value(regs));
	return 0;
}

static int group_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct device *d = (struct device *)regs->di;

	if (d && dev_is_pci(d) && PCI_FUNC(to_pci_dev(d)->devfn) > 0)
		to_pci_dev(d)->multifunction = 1;
	return 0;
}

static struct kretprobe acs_probe = {
	.kp.symbol_name = "pci_dev_specific_acs_enabled",
	.entry_handler = acs_entry,
	.handler = acs_return,
	.data_size = sizeof(struct call),
	.maxactive = 16,
};

static struct kprobe group_probe = {
	.symbol_name = "pci_device_group",
	.pre_handler = group_pre,
};

static int __init acs_quirk_init(void)
{
	int r = register_kretprobe(&acs_probe);

	if (r)
		return r;
	r = register_kprobe(&group_probe);
	if (r) {
		unregister_kretprobe(&acs_probe);
		return r;
	}
	pr_info("acs-quirk: row for %04x:%04x, ena %#06x\n", vendor, device, ena);
	return 0;
}

static void __exit acs_quirk_exit(void)
{
	unregister_kprobe(&group_probe);
	unregister_kretprobe(&acs_probe);
}

module_init(acs_quirk_init);
module_exit(acs_quirk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("one more pci_dev_acs_enabled[] row through a kretprobe (testing only)");
