#include "cpcishim.h"

#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct guard {
	jmp_buf jb;
	char msg[512];
} guard;

static _Thread_local guard *current_guard;

static void PCI_NONRET error_trampoline(char *msg, ...)
{
	va_list ap;
	guard *g = current_guard;

	va_start(ap, msg);
	if (g) {
		vsnprintf(g->msg, sizeof(g->msg), msg, ap);
		va_end(ap);
		longjmp(g->jb, 1);
	}
	fputs("pcilib (unguarded): ", stderr);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void warning_sink(char *msg, ...)
{
	(void)msg;
}

static void debug_sink(char *msg, ...)
{
	(void)msg;
}

static void copy_msg(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", msg);
}

/* GUARDED(body): run body with the error hook armed; on a libpci error copy the message
 * and run fail. The jump crosses only libpci and this file's frames. */
#define GUARDED(a, errbuf, errlen, body, fail) do {                     \
	guard g_;                                                           \
	guard *prev_ = current_guard;                                       \
	(a)->error = error_trampoline;                                      \
	(a)->warning = warning_sink;                                        \
	(a)->debug = debug_sink;                                            \
	if (setjmp(g_.jb)) {                                                \
		current_guard = prev_;                                          \
		copy_msg(errbuf, errlen, g_.msg);                               \
		fail;                                                           \
	} else {                                                            \
		current_guard = &g_;                                            \
		body;                                                           \
		current_guard = prev_;                                          \
	}                                                                   \
} while (0)

struct pci_access *cpcishim_open(int method, const char *dump_path, const char *sysfs_path,
				 const char *ids_path, char *errbuf, size_t errlen)
{
	struct pci_access *a = pci_alloc();
	volatile int failed = 0;

	if (!a) {
		copy_msg(errbuf, errlen, "out of memory");
		return NULL;
	}
	a->error = error_trampoline;
	a->warning = warning_sink;
	a->debug = debug_sink;
	if (method == 1) {
		a->method = PCI_ACCESS_DUMP;
		if (!dump_path) {
			copy_msg(errbuf, errlen, "dump: File name not given.");
			pci_cleanup(a);
			return NULL;
		}
		pci_set_param(a, "dump.name", (char *)dump_path);
	} else {
		a->method = PCI_ACCESS_SYS_BUS_PCI;
		if (sysfs_path)
			pci_set_param(a, "sysfs.path", (char *)sysfs_path);
	}
	pci_set_param(a, "hwdb.disable", "1");
	if (ids_path)
		pci_set_name_list_path(a, strdup(ids_path), 1);
	GUARDED(a, errbuf, errlen, { pci_init(a); pci_scan_bus(a); }, failed = 1);
	if (failed) {
		pci_cleanup(a);
		return NULL;
	}
	return a;
}

void cpcishim_close(struct pci_access *a)
{
	if (a)
		pci_cleanup(a);
}

struct pci_dev *cpcishim_first(struct pci_access *a)
{
	return a->devices;
}

struct pci_dev *cpcishim_next(struct pci_dev *d)
{
	return d->next;
}

void cpcishim_location(struct pci_dev *d, int *domain, int *bus, int *dev, int *func)
{
	*domain = d->domain;
	*bus = d->bus;
	*dev = d->dev;
	*func = d->func;
}

/* The readable size is the largest n with pci_read_block(d, 0, .., n) succeeding: lspci fetches
 * config space on demand the same way (config_fetch), so a dump with 0x200 bytes or a non-root
 * sysfs read (64 bytes) is seen exactly as lspci sees it. A read fails as a whole when any byte
 * is missing, so this is a binary search. */
static int probe_size(struct pci_dev *d, uint8_t *tmp)
{
	int lo = 0;
	int hi = 4095;

	if (pci_read_block(d, 0, tmp, 4096))
		return 4096;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (pci_read_block(d, 0, tmp, mid))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int cpcishim_read_config(struct pci_access *a, struct pci_dev *d, uint8_t *buf, int header_type_hint,
			 char *errbuf, size_t errlen)
{
	volatile int size = 0;
	volatile int failed = 0;
	uint8_t tmp[4096];

	(void)header_type_hint;
	memset(buf, 0xff, 4096);
	GUARDED(a, errbuf, errlen, {
		size = probe_size(d, tmp);
		if (size > 0 && !pci_read_block(d, 0, buf, size))
			size = 0;
	}, failed = 1);
	return failed ? -1 : size;
}

int cpcishim_lookup_name(struct pci_access *a, char *out, size_t outlen, int flags,
			 int arg1, int arg2, int arg3, int arg4, char *errbuf, size_t errlen)
{
	volatile int failed = 0;
	char *r = NULL;

	out[0] = 0;
	GUARDED(a, errbuf, errlen, {
		r = pci_lookup_name(a, out, (int)outlen, flags | PCI_LOOKUP_NO_HWDB, arg1, arg2, arg3, arg4);
	}, failed = 1);
	if (failed)
		return -1;
	if (r && r != out)
		snprintf(out, outlen, "%s", r);
	if (!r)
		out[0] = 0;
	return 0;
}

int cpcishim_id_load_failed(struct pci_access *a)
{
	return a->id_load_failed;
}

int cpcishim_string_property(struct pci_access *a, struct pci_dev *d, int property, char *out, size_t outlen,
                             char *errbuf, size_t errlen)
{
	volatile int failed = 0;
	int flag = property == CPCISHIM_IOMMU_GROUP ? PCI_FILL_IOMMU_GROUP : PCI_FILL_DRIVER;
	char *r = NULL;

	GUARDED(a, errbuf, errlen, {
		pci_fill_info(d, flag);
		r = pci_get_string_property(d, flag);
	}, failed = 1);
	if (failed)
		return -1;
	snprintf(out, outlen, "%s", r ? r : "");
	return 0;
}

const char *cpcishim_filter_parse(int is_id, long long fields[9], const char *text)
{
	struct pci_filter f;
	char copy[256];
	char *err;

	/* pci_filter_init's pci_access argument is unused (libpci 3.9 lib/filter.c). */
	pci_filter_init(NULL, &f);
	f.domain = (int)fields[0];
	f.bus = (int)fields[1];
	f.slot = (int)fields[2];
	f.func = (int)fields[3];
	f.vendor = (int)fields[4];
	f.device = (int)fields[5];
	f.device_class = (int)fields[6];
	f.device_class_mask = (unsigned int)fields[7];
	f.prog_if = (int)fields[8];
	/* libpci copies the text into its own 64-byte buffer (refusing longer text) but takes a
	 * char *: hand it a copy. Longer text than fits here is refused as libpci refuses it. */
	if (strlen(text) >= sizeof(copy))
		return "Expression too long";
	strcpy(copy, text);
	err = is_id ? pci_filter_parse_id(&f, copy) : pci_filter_parse_slot(&f, copy);
	if (err)
		return err;
	fields[0] = f.domain;
	fields[1] = f.bus;
	fields[2] = f.slot;
	fields[3] = f.func;
	fields[4] = f.vendor;
	fields[5] = f.device;
	fields[6] = f.device_class;
	fields[7] = f.device_class_mask;
	fields[8] = f.prog_if;
	return NULL;
}

const char *cpcishim_version(void)
{
	return PCILIB_VERSION;
}
