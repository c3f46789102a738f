/*
 * cpcishim: libpci 3.9 calls wrapped so that libpci's fatal error hook (which would call
 * exit(1)) longjmps back into the wrapper and becomes an error code with libpci's message.
 * libpci calls a->error (pciutils lib/init.c: pci_generic_error exits) on fatal errors; struct pci_access in
 * lib/pci.h. Every wrapper returns 0 on success and -1 on a libpci error,
 * with the message copied into errbuf (NUL-terminated, truncated to errlen).
 * One pci_access per thread; the jump target is thread-local and never crosses a Swift frame.
 */
#ifndef CPCISHIM_H
#define CPCISHIM_H

#include <stddef.h>
#include <stdint.h>

struct pci_access;
struct pci_dev;

/* Allocate a pci_access. method: 0 = live (linux-sysfs), 1 = dump (dump_path required).
 * sysfs_path may be NULL (default /sys/bus/pci). ids_path may be NULL (libpci's default).
 * hwdb lookups are always disabled so that names depend only on the pci.ids file.
 * On failure returns NULL and fills errbuf; nothing needs freeing. */
struct pci_access *cpcishim_open(int method, const char *dump_path, const char *sysfs_path,
                                 const char *ids_path, char *errbuf, size_t errlen);
void cpcishim_close(struct pci_access *a);

/* The device list head (after open, which already scanned). Order is libpci's, not sorted. */
struct pci_dev *cpcishim_first(struct pci_access *a);
struct pci_dev *cpcishim_next(struct pci_dev *d);

/* Identity of a device as libpci knows it (from the bus scan). */
void cpcishim_location(struct pci_dev *d, int *domain, int *bus, int *dev, int *func);

/* Read up to 4096 bytes of config space into buf (filled with 0xff first).
 * Returns the number of bytes from offset 0 that were really readable (0 to 4096: 64 for a
 * non-root sysfs read or an `lspci -x` dump, 256 for conventional PCI or `-xxx`, 4096 for PCIe;
 * any length for a hand-made dump), found with pci_read_block as lspci's on-demand fetch would
 * see it, or -1 on error. */
int cpcishim_read_config(struct pci_access *a, struct pci_dev *d, uint8_t *buf, int header_type_hint,
                         char *errbuf, size_t errlen);

/* pci_lookup_name with fixed arguments. flags are PCI_LOOKUP_* values.
 * Returns 0 and fills out (NUL-terminated) or -1 with errbuf filled (e.g. corrupt pci.ids). */
int cpcishim_lookup_name(struct pci_access *a, char *out, size_t outlen, int flags,
                         int arg1, int arg2, int arg3, int arg4, char *errbuf, size_t errlen);

/* Whether the id file failed to load (names then fall back to numbers). */
int cpcishim_id_load_failed(struct pci_access *a);

/* String properties of a live device that libpci reads from sysfs (pci_get_string_property). */
enum cpcishim_property {
	/* The bound kernel driver (PCI_FILL_DRIVER: the basename of the sysfs `driver` link, what
	 * `lspci -k` prints as "Kernel driver in use"). */
	CPCISHIM_DRIVER = 0,
	/* The IOMMU group (PCI_FILL_IOMMU_GROUP). */
	CPCISHIM_IOMMU_GROUP = 1,
};

/* Fills out with the property, or an empty string when the device has none (no driver bound,
 * no IOMMU group). Returns 0, or -1 with errbuf filled. */
int cpcishim_string_property(struct pci_access *a, struct pci_dev *d, int property, char *out, size_t outlen,
                             char *errbuf, size_t errlen);

/* lspci's device filter (`-s` and `-d`), parsed by libpci itself: pci_filter_parse_slot
 * (is_id = 0) or pci_filter_parse_id (is_id = 1) on a struct pci_filter whose fields are
 * fields[0..8] = domain, bus, slot, func, vendor, device, device_class, device_class_mask,
 * prog_if (-1 = any; device_class_mask as unsigned bits). Parsing adds to what is already
 * there, as repeated options do in lspci. Returns NULL, or libpci's message (a static string,
 * e.g. "Invalid slot number"); fields are then unchanged. */
const char *cpcishim_filter_parse(int is_id, long long fields[9], const char *text);

/* libpci version string. */
const char *cpcishim_version(void);

#endif
