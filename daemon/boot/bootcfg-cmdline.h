/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Editing the kernel command line where the boot loaders keep it: GRUB_CMDLINE_LINUX_DEFAULT in
 * /etc/default/grub (update-grub) and the one line of /etc/kernel/cmdline (kernel-install,
 * systemd-boot, proxmox-boot-tool). Pure text in, text out: every byte the edit does not need
 * to touch stays as it was, and applying an edit twice changes nothing the second time.
 *
 * An argument to add is "key" or "key=value". A present argument with the same key and another
 * value is replaced in place (iommu=soft becomes iommu=pt); further arguments with that key
 * are dropped, since the kernel honours the last one. intel_iommu= is a list of options that
 * the kernel reads in every occurrence: "on" is merged into it (intel_iommu=igfx_off becomes
 * intel_iommu=on,igfx_off; "off" goes: the administrator asked passthru for a working IOMMU).
 * An argument to remove is "key=value" (only that exact argument goes, or for intel_iommu=on
 * only that option: undo must not take away a value the administrator set) or "key" (every
 * value of key). Keys compare with '-' and '_' alike. */

#include <stdbool.h>

typedef struct CmdlineEdit {
        char *const *add;    /* NULL-terminated, may be NULL */
        char *const *remove; /* NULL-terminated, may be NULL */
} CmdlineEdit;

/* Whether s is an argument passthru may write: [A-Za-z0-9_.,:/+-] with at most one '=' after a
 * non-empty key; nothing a shell or the kernel's parser would read differently. */
bool cmdline_arg_is_safe(const char *s);

/* Edits a plain argument string (words separated by blanks; a double-quoted stretch is part of
 * its word, as the kernel parses it). Returns 1 and the new string when it changed, 0 and a copy
 * when it did not; -EINVAL for an unsafe argument in edit. */
int cmdline_edit_args(const char *args, const CmdlineEdit *edit, char **ret);

/* Edits the last assignment of GRUB_CMDLINE_LINUX_DEFAULT (the one the shell keeps) in the text
 * of /etc/default/grub, keeping its quoting: double and single quotes stay, an unquoted value
 * stays unquoted while it is one word and is double-quoted when it becomes more. The text is
 * read as the shell that grub-mkconfig sources it with reads it: only assignments in command
 * position count (not comments, not text inside another quoted value, not a command's
 * arguments), several on one line included. Without an assignment, one is appended when there
 * is something to add. Returns 1 when the text changed, 0 when not; -EINVAL for an unsafe
 * argument, -EBADMSG for a file or value passthru cannot edit safely: an unterminated quote or
 * command substitution anywhere, a here-document, the assignment inside an if, a loop, a case
 * or a function (it runs maybe), its value glued to more text or with a command substitution,
 * or an unterminated double quote inside the value (the kernel would read the addition as
 * quoted). */
int grub_default_edit(const char *text, const CmdlineEdit *edit, char **ret);

/* Whether text (a file grub-mkconfig sources) assigns GRUB_CMDLINE_LINUX_DEFAULT outside a
 * comment: 1 yes, 0 no, -EBADMSG when its value cannot be edited safely. */
int grub_default_assigns(const char *text);

/* Edits the text of /etc/kernel/cmdline: its first line is the command line, anything after it
 * is kept. text NULL means the file does not exist; kernel-install then uses the running
 * kernel's command line, so the new file starts from running_cmdline (the contents of
 * /proc/cmdline) without the boot loader's own BOOT_IMAGE= and initrd= arguments and without
 * the one-off arguments of cmdline_one_off_args(). Returns as
 * grub_default_edit(); with text NULL and nothing to change, 0 and NULL; with text NULL and no
 * running_cmdline, -ENODATA (a file of passthru's arguments alone would drop root=); -EBADMSG
 * for a line with an unterminated double quote. */
/* The arguments of args that shape one boot only and must not be copied into a file every boot
 * reads: passthru.early=, systemd.unit=, init=, single, rescue, emergency, rd.break and the
 * like (not the boot loader's BOOT_IMAGE= and initrd=, dropped silently). Returns how many. */
int cmdline_one_off_args(const char *args, char ***ret);

int kernel_cmdline_edit(const char *text, const char *running_cmdline, const CmdlineEdit *edit, char **ret);
