/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration parser of /etc/modprobe.d, /etc/modules-load.d and the initramfs module
 * list, then every host check on what it found, with a device the admin keeps on vfio-pci
 * (so the boot-binding check reads the blacklist, softdep and options lines). */
#include "device.h"
#include "device-table.h"
#include "fuzz.h"
#include "hostfacts.h"

static int parse(const uint8_t *data, size_t size, const char *shown, ConfigLines *c) {
        _cleanup_fclose_ FILE *file = fmemopen((void *) data, size, "r");

        return file ? config_lines_parse(file, shown, c) : -errno;
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
        if (parse(data, size, "/etc/modprobe.d/fuzz.conf", &f.modprobe) >= 0 &&
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
