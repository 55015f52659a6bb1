/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The module configuration as the host checks get it: the input as a modprobe.d file read by
 * libkmod and turned into the checks' lines (host_facts_read_modprobe()), and as a
 * modules-load.d file and the initramfs module list (config_lines_parse()); then every host
 * check on what was found, with a device the admin keeps on vfio-pci (so the boot-binding
 * check reads the blacklist, softdep and options lines). */
#include <sys/mman.h>

#include "device.h"
#include "device-table.h"
#include "fuzz.h"
#include "host-facts.h"
#include "kmod.h"

static int parse(const uint8_t *data, size_t size, const char *shown, ConfigLines *c) {
        _cleanup_fclose_ FILE *file = fmemopen((void *) data, size, "r");

        return file ? config_lines_parse(file, shown, c) : -errno;
}

/* The input as the one modprobe configuration file libkmod reads, through a memfd. */
static int read_modprobe(const uint8_t *data, size_t size, HostFacts *f) {
        _cleanup_(kmod_closep) Kmod *k = NULL;
        _cleanup_close_ int fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
        char path[64];
        int r;

        if (fd < 0 || write(fd, data, size) != (ssize_t) size)
                return -errno;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        r = kmod_open("/nonexistent", (const char *const[]){ path, NULL }, &k);
        if (r < 0)
                return r;
        return host_facts_read_modprobe(f, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *modules[] = { (char *) "e1000e", NULL };
        Device device = {
                .address_str = "0000:07:00.0",
                .vendor_id = 0x8086,
                .device_id = 0x10d3,
                .driver = (char *) "e1000e",
                .kernel_modules = modules,
                .iommu_group = 14,
                .persistent = true,
        };
        Device *devices[] = { &device };
        DeviceTable table = { .devices = devices, .n_devices = 1 };
        HostFacts f = { .table = &table };
        HostChecks c = {};

        fuzz_quiet();
        if (size == 0)
                return 0;
        if (read_modprobe(data, size, &f) >= 0 &&
            parse(data, size, "/etc/modules-load.d/fuzz.conf", &f.boot_modules) >= 0 &&
            parse(data, size, "/etc/initramfs-tools/modules", &f.initramfs_modules) >= 0) {
                for (size_t i = 0; i < f.modprobe.n; i++)
                        for (char **w = f.modprobe.items[i].words; *w; w++)
                                if (!**w || !utf8_is_valid(*w))
                                        abort();
                if (host_checks_run(&f, &c) >= 0) {
                        fuzz_assert_checks_utf8(&c);
                        host_checks_done(&c);
                }
        }
        f.table = NULL;
        host_facts_done(&f);
        return 0;
}
