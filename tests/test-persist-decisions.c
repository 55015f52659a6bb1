/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure decisions of daemon/engine/persist.c, as tables of cases: which entries a reload applies
 * (persist_entry_equal) and when a remembered device goes as one group transaction
 * (persist_group_complete). No daemon, no bus, no sysfs. */
#include <glib.h>

#include "config.h"
#include "devices-conf.h"
#include "group.h"
#include "persist.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Config, config_free)

static Config *parse(const char *text) {
        Config *c = NULL;

        g_assert_cmpint(config_parse(text, strlen(text), NULL, &c, NULL), ==, 0);
        return c;
}

#define BASE "[0000:01:00.0]\nid = 10de:1b80\nclass = 0x030000\n"

static const struct {
        const char *name, *before, *after;
        bool equal;
} entry_cases[] = {
        { "same", BASE, BASE, true },
        { "comment and spacing only", BASE, "# hi\n[01:00.0]\nid=10de:1b80   # the GPU\nclass = 0x030000\n",
          true },
        { "other device id", BASE, "[0000:01:00.0]\nid = 10de:1b81\nclass = 0x030000\n", false },
        { "subsystem added", BASE, BASE "subsystem = 1462:3362\n", false },
        { "serial added", BASE, BASE "serial = 00-11-22-33-44-55-66-77\n", false },
        { "vfio off", BASE, BASE "vfio = no\n", false },
        { "allow-protected", BASE, BASE "allow-protected = yes\n", false },
        { "sriov-numvfs", BASE, BASE "sriov-numvfs = 2\n", false },
};

static void test_entry_equal(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(entry_cases); i++) {
                g_autoptr(Config) a = parse(entry_cases[i].before);
                g_autoptr(Config) b = parse(entry_cases[i].after);

                g_test_message("case: %s", entry_cases[i].name);
                g_assert_cmpint(persist_entry_equal(config_entry(a, 0), config_entry(b, 0)), ==,
                                entry_cases[i].equal);
        }
}

/* A GPU group: the root port (bridge), the GPU and its audio function. */
static Device port = { .address = { 0, 0, 1, 0 },
                       .vendor_id = 0x8086,
                       .device_id = 0x1901,
                       .class_code = 0x060400,
                       .is_bridge = true };
static Device gpu = { .address = { 0, 1, 0, 0 },
                      .vendor_id = 0x10de,
                      .device_id = 0x1b80,
                      .subsystem_vendor_id = 0x1462,
                      .subsystem_device_id = 0x3362,
                      .class_code = 0x030000 };
static Device audio = {
        .address = { 0, 1, 0, 1 }, .vendor_id = 0x10de, .device_id = 0x10f0, .class_code = 0x040300
};

#define GPU_ENTRY "[0000:01:00.0]\nid = 10de:1b80\nclass = 0x030000\n"
#define AUDIO_ENTRY "[0000:01:00.1]\nid = 10de:10f0\nclass = 0x040300\n"

static const struct {
        const char *name, *conf;
        bool complete;
} group_cases[] = {
        { "both endpoints remembered", GPU_ENTRY AUDIO_ENTRY, true },
        { "the mate is not remembered", GPU_ENTRY, false },
        { "the mate's entry is for another card",
          GPU_ENTRY "[0000:01:00.1]\nid = 10de:aaaa\nclass = 0x040300\n", false },
        { "the mate's entry keeps it off vfio-pci", GPU_ENTRY AUDIO_ENTRY "vfio = no\n", false },
};

static void test_group_complete(void) {
        Device *members[] = { &port, &gpu, &audio };
        Group g = { .number = 1, .devices = members, .n_devices = G_N_ELEMENTS(members) };
        Device *alone_members[] = { &port, &gpu };
        Group alone = { .number = 2, .devices = alone_members, .n_devices = 2 };

        for (size_t i = 0; i < G_N_ELEMENTS(group_cases); i++) {
                g_autoptr(Config) c = parse(group_cases[i].conf);

                g_test_message("case: %s", group_cases[i].name);
                g_assert_cmpint(persist_group_complete(c, &g, &gpu.address), ==, group_cases[i].complete);
        }
        /* A device alone in its group (bridges aside) needs no group transaction. */
        g_autoptr(Config) c = parse(GPU_ENTRY);
        g_assert_false(persist_group_complete(c, &alone, &gpu.address));
        g_assert_false(persist_group_complete(NULL, &g, &gpu.address));
        g_assert_false(persist_group_complete(c, NULL, &gpu.address));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/persist-decisions/entry-equal", test_entry_equal);
        g_test_add_func("/persist-decisions/group-complete", test_group_complete);
        return g_test_run();
}
