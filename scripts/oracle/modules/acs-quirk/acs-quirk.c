// SPDX-License-Identifier: GPL-2.0
/*
 * acs-quirk: more rows of the kernel's pci_dev_acs_enabled[] table (drivers/pci/quirks.c) in a
 * stock kernel, for testing only. A kretprobe on pci_dev_specific_acs_enabled() walks this
 * module's rows the way that function walks the table (first matching row whose function does
 * not return -ENOTTY decides), but only where the kernel's own table had no answer (-ENOTTY): as
 * rows appended at the end of the table. IOMMU groups are formed when a device is added, so the
 * devices must be removed and rescanned afterwards (hooks/rescan.sh).
 *
 * The rows are either
 *  - generated.h, when the module folder has one: rows and the functions they call, copied
 *    verbatim from a patched drivers/pci/quirks.c (acsquirk-prove writes it: what runs is the
 *    patch's own code); or
 *  - one row for the parameters vendor=0xVVVV device=0xDDDD whose answer is that of
 *    pci_acs_ctrl_enabled(acs_flags, ena), ena = SV|TB|RR|CR|UF|DT by default (the claim of
 *    pci_quirk_mf_endpoint_acs()).
 * rows=0 (writable in /sys/module/acs_quirk/parameters/rows) switches the rows off, so one boot
 * can rescan without and then with them.
 *
 * The rescan differs from boot in one way this module corrects: pci_scan_single_device() adds a
 * function (and the IOMMU core groups it) before pci_scan_slot() sets dev->multifunction on
 * functions > 0, so pci_device_group() would see them as single-function. A kprobe on
 * pci_device_group() sets the flag first, as enumeration at boot would have.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/pci.h>

/* struct pci_dev_acs_enabled of drivers/pci/quirks.c */
struct acs_quirk_row {
	u16 vendor;
	u16 device;
	int (*acs_enabled)(struct pci_dev *dev, u16 acs_flags);
};

#if __has_include("generated.h")
#include "generated.h"	/* defines acs_quirk_rows[], terminated by { 0 } */
#define ACS_QUIRK_GENERATED 1
#define ACS_QUIRK_SOURCE "generated.h"
#else
#define ACS_QUIRK_SOURCE "parameters"
static unsigned int vendor = 0xffff, device = 0xffff;
module_param(vendor, uint, 0444);
MODULE_PARM_DESC(vendor, "vendor ID the row matches");
module_param(device, uint, 0444);
MODULE_PARM_DESC(device, "device ID the row matches");
static unsigned int ena = PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF | PCI_ACS_DT;
module_param(ena, uint, 0444);
MODULE_PARM_DESC(ena, "ACS controls the device behaves as if enabled (default SV|TB|RR|CR|UF|DT)");

static int acs_quirk_param_acs(struct pci_dev *dev, u16 acs_flags)
{
	return (acs_flags & ena) == acs_flags ? 1 : 0;
}

static struct acs_quirk_row acs_quirk_rows[] = {
	{ 0xffff, 0xffff, acs_quirk_param_acs },
	{ 0 }
};
#endif

static bool rows = true;
module_param(rows, bool, 0644);
MODULE_PARM_DESC(rows, "answer with the rows (0: only the multifunction fix)");

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
	const struct acs_quirk_row *r;
	int ret;

	if (!READ_ONCE(rows) || !c->dev || (int)regs_return_value(regs) != -ENOTTY)
		return 0;
	for (r = acs_quirk_rows; r->acs_enabled; r++) {
		if ((r->vendor == c->dev->vendor || r->vendor == (u16)PCI_ANY_ID) &&
		    (r->device == c->dev->device || r->device == (u16)PCI_ANY_ID)) {
			ret = r->acs_enabled(c->dev, c->acs_flags);
			if (ret >= 0) {
				regs_set_return_value(regs, ret);
				pci_info(c->dev, "acs-quirk: %ps(acs_flags %#06x) -> %d\n",
					 r->acs_enabled, c->acs_flags, ret);
				return 0;
			}
		}
	}
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
	const struct acs_quirk_row *r;
	int n = 0, ret;

#ifndef ACS_QUIRK_GENERATED
	if (vendor > 0xfffe || device > 0xfffe) {
		pr_err("acs-quirk: give vendor=0xVVVV device=0xDDDD (or build with generated.h)\n");
		return -EINVAL;
	}
	acs_quirk_rows[0].vendor = vendor;
	acs_quirk_rows[0].device = device;
#endif
	ret = register_kretprobe(&acs_probe);
	if (ret)
		return ret;
	ret = register_kprobe(&group_probe);
	if (ret) {
		unregister_kretprobe(&acs_probe);
		return ret;
	}
	for (r = acs_quirk_rows; r->acs_enabled; r++) {
		pr_info("acs-quirk: row %d { %#06x, %#06x, %ps } from %s\n", n, r->vendor, r->device,
			r->acs_enabled, ACS_QUIRK_SOURCE);
		n++;
	}
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
MODULE_DESCRIPTION("more pci_dev_acs_enabled[] rows through a kretprobe (testing only)");
