/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one door to sysfs. Everything is opened relative to a root directory fd ("/sys" on a
 * host, a umockdev testbed, or a VM's /sys), with O_NOFOLLOW on the last component, so the
 * same code reads and writes a real kernel and a test fixture. Device paths are udev
 * devpaths ("/devices/pci0000:00/0000:00:02.0"), never strings from a client. */

#include <stdbool.h>

#include "macros.h"

typedef struct Sysfs Sysfs;

int sysfs_open(const char *root, Sysfs **ret);
Sysfs *sysfs_free(Sysfs *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Sysfs *, sysfs_free);

/* Reads an attribute of a device, trailing newline stripped. -ENOENT when absent. */
int sysfs_read_attr(Sysfs *s, const char *devpath, const char *attr, char **ret);
/* Opens an attribute for reading (binary ones such as "config"); returns the fd. */
int sysfs_open_attr(Sysfs *s, const char *devpath, const char *attr);
/* Reads a hexadecimal or decimal number (strtol base 0), as the kernel writes them; the
 * unsigned one refuses a negative number. -EINVAL for anything else, or one past LONG_MAX. */
int sysfs_read_int(Sysfs *s, const char *devpath, const char *attr, long *ret);
int sysfs_read_uint(Sysfs *s, const char *devpath, const char *attr, unsigned long *ret);
/* The last path component of a symlink of the device ("driver" -> "e1000e"). */
int sysfs_read_link_name(Sysfs *s, const char *devpath, const char *link, char **ret);
/* The devpath ("/devices/pci0000:00/...") that link, a path under the sysfs root such as
 * "bus/pci/devices/0000:01:00.0" or "dev/block/259:2", points into. */
int sysfs_link_devpath(Sysfs *s, const char *link, char **ret);
/* Names of the device's entries starting with prefix ("virtfn" -> virtfn0, virtfn1...). */
int sysfs_list_prefixed(Sysfs *s, const char *devpath, const char *prefix, char ***ret);
/* Writes value to an attribute in one write(2); -EIO-style errors come from the kernel. */
int sysfs_write_attr(Sysfs *s, const char *devpath, const char *attr, const char *value);
/* Writes to a path relative to the root ("bus/pci/drivers_probe"). */
int sysfs_write_path(Sysfs *s, const char *path, const char *value);
bool sysfs_path_exists(Sysfs *s, const char *path);
/* A kernel module is there: loaded (or built in with parameters) shows as module/NAME, and a
 * driver (driver may be NULL) as bus/pci/drivers/DRIVER. */
bool sysfs_module_present(Sysfs *s, const char *module, const char *driver);
int sysfs_root_fd(Sysfs *s);
