/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who holds a device, and what a person runs to make it let go: a text console drawn on
 * one of its framebuffers (fbcon through a bound vtconsole), the firmware framebuffer on the
 * boot VGA device, and processes with its DRM, sound or nvidia nodes open, each named by
 * its systemd unit or user session (from /proc/PID/cgroup). The console and DRM clients
 * make a move unsafe (safety.c turns them into Blockers); the others are warnings.
 *
 * A Holders snapshot is filled during safety.c's walk of /proc (in host-use.c's thread, off
 * the loop) and only read afterwards. The describing functions are pure and unit-tested. */

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

typedef struct Device Device;
typedef struct Sysfs Sysfs;
typedef struct Holders Holders;

int holders_new(Holders **ret);
Holders *holders_free(Holders *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Holders *, holders_free);
void holders_clear(Holders *h);

/* Process pid (its /proc directory is proc_fd/pid) has node ("/dev/dri/card0") open: a DRM,
 * sound or nvidia node is recorded with the process named, anything else ignored. Fails
 * only for want of memory. */
int holders_add_open_node(Holders *h, Sysfs *sysfs, int proc_fd, const char *pid, const char *node);
/* The name of process pid (/proc/PID/comm under proc_fd) into buf, without its newline;
 * "" when it cannot be read or does not fit (32 bytes always do). */
void holder_read_comm(int proc_fd, const char *pid, char *buf, size_t size);
/* Framebuffers with fbcon on them, and the firmware framebuffer; release is the running
 * kernel's ("6.1.0-18-amd64"). */
int holders_read_consoles(Holders *h, Sysfs *sysfs, const char *release);

/* The holders of d as a flat list "what", "remedy", "what", "remedy"...; empty, never NULL.
 * h may be NULL (no snapshot): none. */
int holders_of_device(const Holders *h, const Device *d, char ***ret_pairs);
/* The holders of d that make a move unsafe, one sentence each (for Blockers). */
int holders_unsafe(const Holders *h, const Device *d, char ***ret);
/* Whether a process has a DRM node of d open. */
bool holders_has_drm_client(const Holders *h, const Device *d);

/* ---- pure, unit-tested ---- */

/* Names the process: "gdm.service (pid 812, /usr/sbin/gdm3)", "pipewire of user alice
 * (pid 1402)", and the command that stops it ("systemctl stop gdm.service"; "kill 1402"
 * when no unit can be named safely). cgroup is /proc/PID/cgroup's text, program the
 * executable (or comm), user the owner's name (NULL: unknown). */
int holder_describe_process(const char *cgroup, const char *program, const char *user, int pid,
                            char **ret_who, char **ret_remedy);
/* Whether vfio-pci of this kernel release evicts a firmware framebuffer itself (6.0+). */
bool holder_kernel_evicts_firmware_fb(const char *release);
