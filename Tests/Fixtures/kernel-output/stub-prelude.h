/*
 * The few definitions of include/linux/pci.h, pci_ids.h, pci_regs.h and drivers/pci/quirks.c that
 * acsquirk's stub files use, so StubCompileTests can compile each stub with gcc -fsyntax-only.
 * Values as in Linux 6.12.
 */
#include <stdbool.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

#define __maybe_unused __attribute__((__unused__))
#define ENOTTY 25
#define PCI_ANY_ID (~0)

#define PCI_VENDOR_ID_SYNOPSYS 0x16c3
#define PCI_VENDOR_ID_ZHAOXIN 0x1d17
#define PCI_VENDOR_ID_INTEL 0x8086
#define PCI_VENDOR_ID_WANGXUN 0x8088

#define PCI_EXP_TYPE_ENDPOINT 0x0
#define PCI_EXP_TYPE_LEG_END 0x1
#define PCI_EXP_TYPE_ROOT_PORT 0x4
#define PCI_EXP_TYPE_UPSTREAM 0x5
#define PCI_EXP_TYPE_DOWNSTREAM 0x6
#define PCI_EXP_TYPE_RC_END 0x9

#define PCI_ACS_SV 0x0001
#define PCI_ACS_TB 0x0002
#define PCI_ACS_RR 0x0004
#define PCI_ACS_CR 0x0008
#define PCI_ACS_UF 0x0010
#define PCI_ACS_EC 0x0020
#define PCI_ACS_DT 0x0040

struct pci_bus {
	struct pci_bus *parent;
};

struct pci_dev {
	struct pci_bus *bus;
	unsigned short vendor;
	unsigned short device;
	unsigned int class;
	u16 pcie_flags_reg;
	u16 acs_cap;
	unsigned int multifunction:1;
};

static inline bool pci_is_pcie(struct pci_dev *dev) { return dev->pcie_flags_reg != 0; }
static inline int pci_pcie_type(const struct pci_dev *dev) { return (dev->pcie_flags_reg & 0x00f0) >> 4; }
static inline bool pci_is_root_bus(struct pci_bus *pbus) { return !pbus->parent; }

static int pci_acs_ctrl_enabled(u16 acs_ctrl_req, u16 acs_ctrl_ena)
{
	if ((acs_ctrl_req & acs_ctrl_ena) == acs_ctrl_req)
		return 1;
	return 0;
}

static int pci_quirk_mf_endpoint_acs(struct pci_dev *dev, u16 acs_flags)
{
	(void)dev;
	return pci_acs_ctrl_enabled(acs_flags,
		PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR |
		PCI_ACS_CR | PCI_ACS_UF | PCI_ACS_DT);
}

static const struct pci_dev_acs_enabled {
	u16 vendor;
	u16 device;
	int (*acs_enabled)(struct pci_dev *dev, u16 acs_flags);
} pci_dev_acs_enabled[] __maybe_unused = {
	{ PCI_VENDOR_ID_INTEL, 0x10c6, pci_quirk_mf_endpoint_acs },
	{ 0 }
};
