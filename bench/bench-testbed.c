/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmark's big host on a umockdev testbed: the test suite's realistic host
 * (tests/testbed.c) grown into a server of exactly N functions (argv[1], default 2000):
 * GPUs with their audio function in one group, NVMe drives behind PCIe switches, chipset
 * functions, and dual-port SR-IOV NICs with up to 128 VFs per port filling the rest; every
 * function has a binary config space so lspci reads it as the daemon does. Runs under the
 * umockdev preload, prints the testbed's root and the number of functions, then obeys
 * commands on stdin until EOF:
 *   add      hotplug testbed_hotplug_nic; answers "t_ns NS", CLOCK_MONOTONIC just before
 *   remove   remove it again; answers "ok"
 * bench/run compiles it with tests/testbed.c; it is not part of the build. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testbed.h"

#define CONFIG_SIZE 256
#define NO_BUS 0x100
#define MAX_VFS_PER_PORT 128
#define CARD_FIXED 3 /* root port and two PFs */

typedef struct Host {
        GArray *functions; /* TestbedFunction; the strings live as long as the process */
        int next_group;
        unsigned next_bus;
        unsigned next_root_device;
} Host;

static unsigned bus_of(const char *address) {
        unsigned domain, bus, device, function;

        g_assert_cmpint(sscanf(address, "%x:%x:%x.%x", &domain, &bus, &device, &function), ==, 4);
        return bus;
}

static const char *add_in_group(Host *h, const TestbedFunction *template, const char *parent, unsigned bus,
                                unsigned device, unsigned function, int group) {
        TestbedFunction f = *template;

        f.address = g_strdup_printf("0000:%02x:%02x.%u", bus, device, function);
        f.parent = parent;
        f.iommu_group = group;
        g_array_append_val(h->functions, f);
        return f.address;
}

static const char *add(Host *h, const TestbedFunction *template, const char *parent, unsigned bus,
                       unsigned device, unsigned function) {
        return add_in_group(h, template, parent, bus, device, function, h->next_group++);
}

/* A root port on bus 0 with a fresh secondary bus; returns its address. Device 5 is left
 * free for the hotplug NIC, and the devices the realistic host uses are skipped. */
static const char *add_root_port(Host *h, unsigned *ret_bus) {
        static const TestbedFunction port = { .vendor = 0x8086, .device = 0x347a, .class_code = 0x060400,
                                              .driver = "pcieport", .numa_node = 0 };
        const char *address;

        while (h->next_root_device == 0x05 || h->next_root_device == 0x01)
                h->next_root_device++;
        g_assert_cmpuint(h->next_root_device, <, 0x1c);
        address = add(h, &port, NULL, 0, h->next_root_device++, 0);
        *ret_bus = h->next_bus++;
        return address;
}

static void add_gpus(Host *h, unsigned n) {
        static const TestbedFunction vga = { .vendor = 0x10de, .device = 0x2204, .subsystem_vendor = 0x10de,
                                             .subsystem_device = 0x1454, .class_code = 0x030000, .revision = 0xa1,
                                             .driver = "nouveau", .numa_node = 0, .reset_method = "bus" };
        static const TestbedFunction audio = { .vendor = 0x10de, .device = 0x1aef, .subsystem_vendor = 0x10de,
                                               .subsystem_device = 0x1454, .class_code = 0x040300,
                                               .revision = 0xa1, .driver = "snd_hda_intel", .numa_node = 0,
                                               .reset_method = "bus" };

        for (unsigned i = 0; i < n; i++) {
                unsigned bus;
                const char *port = add_root_port(h, &bus);

                add(h, &vga, port, bus, 0, 0);
                add_in_group(h, &audio, port, bus, 0, 1, h->next_group - 1);
        }
}

/* A PCIe switch behind a root port: its upstream port, `n` downstream ports, an NVMe drive
 * behind each. */
static void add_nvme_switch(Host *h, unsigned n) {
        static const TestbedFunction nvme = { .vendor = 0x8086, .device = 0x0a54, .subsystem_vendor = 0x8086,
                                              .subsystem_device = 0x4802, .class_code = 0x010802,
                                              .driver = "nvme", .numa_node = 1, .reset_method = "flr bus" };
        static const TestbedFunction up = { .vendor = 0x10b5, .device = 0x8747, .class_code = 0x060400,
                                            .driver = "pcieport", .numa_node = 1 };
        static const TestbedFunction down = { .vendor = 0x10b5, .device = 0x8747, .class_code = 0x060400,
                                              .driver = "pcieport", .numa_node = 1 };
        unsigned upstream_bus, downstream_bus;
        const char *port = add_root_port(h, &upstream_bus), *upstream;

        upstream = add(h, &up, port, upstream_bus, 0, 0);
        downstream_bus = h->next_bus++;
        for (unsigned i = 0; i < n; i++) {
                const char *dport = add(h, &down, upstream, downstream_bus, i, 0);

                add(h, &nvme, dport, h->next_bus++, 0, 0);
        }
}

/* A dual-port SR-IOV NIC (E810-like) with `vfs` VFs enabled in all, split between its ports;
 * every eighth VF on vfio-pci. Port 0's VFs follow the PFs on the card's bus, port 1's take
 * the next bus, as VFs beyond one bus's 256 routing IDs do. */
static void add_sriov_nic(Host *h, unsigned vfs) {
        static const TestbedFunction pf = { .vendor = 0x8086, .device = 0x1593, .subsystem_vendor = 0x8086,
                                            .subsystem_device = 0x0002, .class_code = 0x020000, .revision = 0x02,
                                            .driver = "ice", .numa_node = 1, .reset_method = "flr bus",
                                            .sriov_totalvfs = 256 };
        TestbedFunction vf = { .vendor = 0x8086, .device = 0x1889, .subsystem_vendor = 0x8086,
                               .subsystem_device = 0x0000, .class_code = 0x020000, .revision = 0x02,
                               .numa_node = 1, .reset_method = "flr" };
        unsigned bus, per_port[2] = { (vfs + 1) / 2, vfs / 2 };
        const char *port = add_root_port(h, &bus);
        const char *pfs[2];

        g_assert_cmpuint(per_port[0], <=, MAX_VFS_PER_PORT);
        h->next_bus++;
        for (unsigned p = 0; p < 2; p++) {
                TestbedFunction t = pf;

                t.sriov_numvfs = per_port[p];
                pfs[p] = add(h, &t, port, bus, 0, p);
        }
        for (unsigned p = 0; p < 2; p++)
                for (unsigned v = 0; v < per_port[p]; v++) {
                        unsigned routing = p == 0 ? 8 + v : v;

                        vf.physfn = pfs[p];
                        vf.driver = v % 8 == 7 ? "vfio-pci" : "iavf";
                        add(h, &vf, port, bus + p, routing / 8, routing % 8);
                }
}

static void add_chipset(Host *h) {
        static const TestbedFunction chipset[] = {
                { .vendor = 0x8086, .device = 0xa1c1, .class_code = 0x060100, .driver = "lpc_ich", .numa_node = 0 },
                { .vendor = 0x8086, .device = 0xa1af, .class_code = 0x0c0330, .driver = "xhci_hcd", .numa_node = 0,
                  .subsystem_vendor = 0x15d9, .subsystem_device = 0x095d },
                { .vendor = 0x8086, .device = 0xa182, .class_code = 0x010601, .driver = "ahci", .numa_node = 0,
                  .subsystem_vendor = 0x15d9, .subsystem_device = 0x095d },
                { .vendor = 0x8086, .device = 0xa1a3, .class_code = 0x0c0500, .driver = "i801_smbus",
                  .numa_node = 0, .subsystem_vendor = 0x15d9, .subsystem_device = 0x095d },
        };

        for (unsigned i = 0; i < G_N_ELEMENTS(chipset); i++)
                add(h, &chipset[i], NULL, 0, 0x1f, i);
}

/* Fixed parts grow in steps with the host; SR-IOV NICs fill it up to exactly n functions. */
static Host *host_new(unsigned n) {
        unsigned gpus = n >= 1000 ? 8 : n >= 400 ? 4 : 2, switches = n >= 1000 ? 4 : n >= 400 ? 2 : 1;
        Host *h = g_new0(Host, 1);

        h->functions = g_array_new(FALSE, FALSE, sizeof(TestbedFunction));
        g_array_append_vals(h->functions, testbed_host, testbed_host_len);
        h->next_group = testbed_hotplug_nic.iommu_group + 1;
        h->next_bus = 0x10;
        h->next_root_device = 0x02;
        add_chipset(h);
        add_gpus(h, gpus);
        for (unsigned i = 0; i < switches; i++)
                add_nvme_switch(h, 4);
        while (h->functions->len < n) {
                unsigned left = n - h->functions->len;

                if (left < CARD_FIXED + 2)
                        g_error("%u functions cannot be made of whole cards; the fixed part has %u", n,
                                h->functions->len);
                add_sriov_nic(h, MIN(left - CARD_FIXED, 2 * MAX_VFS_PER_PORT));
        }
        g_assert_cmpuint(h->functions->len, ==, n);
        return h;
}

/* Type 1 headers carry the bus range behind the bridge: secondary is the lowest bus of its
 * children, subordinate the highest bus anywhere below it. `by_address` maps each address to
 * its function, so a bed of thousands is written in moments. */
static void bridge_buses(const GArray *functions, GHashTable *by_address, const char *bridge,
                         unsigned *ret_secondary, unsigned *ret_subordinate) {
        unsigned secondary = NO_BUS, subordinate = 0;

        for (unsigned i = 0; i < functions->len; i++) {
                const TestbedFunction *f = &g_array_index(functions, TestbedFunction, i);
                unsigned bus = bus_of(f->address);

                if (f->parent && g_str_equal(f->parent, bridge))
                        secondary = MIN(secondary, bus);
                for (const char *p = f->parent; p;) {
                        const TestbedFunction *up;

                        if (g_str_equal(p, bridge)) {
                                subordinate = MAX(subordinate, bus);
                                break;
                        }
                        up = g_hash_table_lookup(by_address, p);
                        p = up ? up->parent : NULL;
                }
        }
        *ret_secondary = secondary == NO_BUS ? 0 : secondary;
        *ret_subordinate = subordinate;
}

static void put16(uint8_t *c, size_t offset, uint16_t v) {
        c[offset] = v & 0xff;
        c[offset + 1] = v >> 8;
}

/* The header lspci decodes: IDs, command, class, header type, subsystem or bus numbers. */
static void write_config(Testbed *tb, const GArray *functions, GHashTable *by_address,
                         const TestbedFunction *f) {
        g_autofree char *path = g_build_filename(testbed_root_dir(tb), "sys", testbed_devpath(tb, f->address),
                                                 "config", NULL);
        g_autoptr(GError) error = NULL;
        uint8_t c[CONFIG_SIZE] = {};
        bool bridge = f->class_code >> 8 == 0x0604;

        put16(c, 0x00, f->vendor);
        put16(c, 0x02, f->device);
        put16(c, 0x04, 0x0406);
        c[0x08] = f->revision;
        c[0x09] = f->class_code & 0xff;
        c[0x0a] = (f->class_code >> 8) & 0xff;
        c[0x0b] = f->class_code >> 16;
        c[0x0e] = bridge ? 0x01 : 0x00;
        if (bridge) {
                unsigned secondary, subordinate;

                bridge_buses(functions, by_address, f->address, &secondary, &subordinate);
                c[0x18] = bus_of(f->address);
                c[0x19] = secondary;
                c[0x1a] = subordinate;
        } else {
                put16(c, 0x2c, f->subsystem_vendor);
                put16(c, 0x2e, f->subsystem_device);
        }
        g_file_set_contents(path, (const char *) c, sizeof(c), &error);
        g_assert_no_error(error);
}

static uint64_t now_ns(void) {
        struct timespec ts;

        g_assert_no_errno(clock_gettime(CLOCK_MONOTONIC, &ts));
        return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void serve(Testbed *tb) {
        char line[64];

        while (fgets(line, sizeof(line), stdin)) {
                g_strchomp(line);
                if (g_str_equal(line, "add")) {
                        uint64_t t = now_ns();

                        testbed_add(tb, &testbed_hotplug_nic);
                        printf("t_ns %" G_GUINT64_FORMAT "\n", t);
                } else if (g_str_equal(line, "remove")) {
                        /* umockdev sends no uevent when it removes a device; the kernel does. */
                        testbed_uevent(tb, testbed_hotplug_nic.address, "remove");
                        testbed_remove(tb, testbed_hotplug_nic.address);
                        printf("ok\n");
                } else
                        g_error("Unknown command '%s'", line);
                fflush(stdout);
        }
}

int main(int argc, char *argv[]) {
        g_autoptr(Testbed) tb = NULL;
        g_autoptr(GHashTable) by_address = NULL;
        unsigned n = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 2000;
        Host *h;

        if (testbed_unavailable_reason()) {
                fprintf(stderr, "%s\n", testbed_unavailable_reason());
                return 1;
        }
        h = host_new(n);
        by_address = g_hash_table_new(g_str_hash, g_str_equal);
        for (unsigned i = 0; i < h->functions->len; i++) {
                TestbedFunction *f = &g_array_index(h->functions, TestbedFunction, i);

                g_hash_table_insert(by_address, (char *) f->address, f);
        }
        tb = testbed_new();
        testbed_add_all(tb, (const TestbedFunction *) h->functions->data, h->functions->len);
        for (unsigned i = 0; i < h->functions->len; i++)
                write_config(tb, h->functions, by_address, &g_array_index(h->functions, TestbedFunction, i));
        printf("root %s\nfunctions %u\n", testbed_root_dir(tb), h->functions->len);
        fflush(stdout);
        serve(tb);
        return 0;
}
