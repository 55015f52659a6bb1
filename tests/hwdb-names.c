/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <libudev.h>

#include "hwdb-names.h"

static char *lookup(const char *modalias, const char *key) {
        struct udev *udev = udev_new();
        struct udev_hwdb *hwdb = udev ? udev_hwdb_new(udev) : NULL;
        struct udev_list_entry *entry;
        char *name = NULL;

        if (hwdb)
                udev_list_entry_foreach(entry, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0)) {
                        if (g_str_equal(udev_list_entry_get_name(entry), key)) {
                                name = g_strdup(udev_list_entry_get_value(entry));
                                break;
                        }
                }
        udev_hwdb_unref(hwdb);
        udev_unref(udev);
        return name;
}

char *hwdb_vendor_name(uint16_t vendor) {
        g_autofree char *modalias = g_strdup_printf("pci:v%08X*", vendor);

        return lookup(modalias, "ID_VENDOR_FROM_DATABASE");
}

char *hwdb_device_name(uint16_t vendor, uint16_t device) {
        g_autofree char *modalias = g_strdup_printf("pci:v%08Xd%08X*", vendor, device);

        return lookup(modalias, "ID_MODEL_FROM_DATABASE");
}

char *hwdb_subsystem_name(uint16_t vendor, uint16_t device, uint16_t subvendor, uint16_t subdevice) {
        g_autofree char *own =
                g_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08X*", vendor, device, subvendor, subdevice);
        g_autofree char *generic = g_strdup_printf("pci:v*d*sv%08Xsd%08X*", subvendor, subdevice);
        char *name = lookup(own, "ID_MODEL_FROM_DATABASE");

        if (!name)
                name = lookup(generic, "ID_MODEL_FROM_DATABASE");
        if (!name && vendor == subvendor && device == subdevice)
                name = hwdb_device_name(vendor, device);
        return name;
}

char *hwdb_class_name(uint32_t class_code) {
        unsigned base = class_code >> 16, sub = (class_code >> 8) & 0xff;
        g_autofree char *subclass = g_strdup_printf("pci:v*d*sv*sd*bc%02Xsc%02X*", base, sub);
        g_autofree char *class = g_strdup_printf("pci:v*d*sv*sd*bc%02X*", base);
        g_autofree char *name = lookup(subclass, "ID_PCI_SUBCLASS_FROM_DATABASE");

        if (name)
                return g_steal_pointer(&name);
        name = lookup(class, "ID_PCI_CLASS_FROM_DATABASE");
        return name ? g_strdup_printf("%s [%02x%02x]", name, base, sub) : NULL;
}
