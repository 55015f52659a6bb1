/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device-table.h"
#include "fileio.h"
#include "log.h"
#include "plan.h"
#include "utf8.h"
#include "vm-claim.h"

#define VM_NAME_MAX 255

struct VmClaims {
        char *dir; /* RUNTIME/vms */
};

int vm_claims_new(const char *runtime_dir, VmClaims **ret) {
        VmClaims *c = calloc(1, sizeof(VmClaims));

        assert(ret);
        if (!c)
                return -ENOMEM;
        if (asprintf(&c->dir, "%s/vms", runtime_dir ?: "/run/passthru") < 0) {
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

VmClaims *vm_claims_free(VmClaims *c) {
        if (!c)
                return NULL;
        free(c->dir);
        free(c);
        return NULL;
}

bool vm_name_is_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > VM_NAME_MAX || !utf8_is_valid(name))
                return false;
        for (const char *p = name; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* The directory, created (with its parent, the runtime directory) when asked to. */
static int open_dir(VmClaims *c, bool create) {
        int fd;

        if (create) {
                _cleanup_free_ char *parent = strndup(c->dir, strlen(c->dir) - strlen("/vms"));

                if (!parent)
                        return -ENOMEM;
                if ((mkdir(parent, 0755) < 0 && errno != EEXIST) ||
                    (mkdir(c->dir, 0755) < 0 && errno != EEXIST))
                        return -errno;
        }
        fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* A claim survives a crash whole or not at all (write_file_atomic_at()). */
static int claim_save(int dfd, const char *address, const char *vm) {
        return write_file_atomic_at(dfd, address, vm, strlen(vm), &(WriteFileParams){ .mode = 0644 }, NULL);
}

int vm_claim_load(VmClaims *c, const char *address, char **ret_vm) {
        _cleanup_close_ int dfd = open_dir(c, false);
        char buf[VM_NAME_MAX + 1];
        size_t size;
        int r;

        assert(c);
        assert(address);
        if (dfd < 0)
                return dfd;
        r = read_file_into_at(dfd, address, 0, buf, sizeof(buf), &size);
        if (r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;
        if (size != strlen(buf) || !vm_name_is_valid(buf))
                return -EBADMSG;
        *ret_vm = strdup(buf);
        return *ret_vm ? 0 : -ENOMEM;
}

void vm_claims_note(VmClaims *c, const Plan *plan, const char *vm) {
        _cleanup_close_ int dfd = -EBADF;

        assert(c);
        assert(plan);
        if (plan->n_moves == 0)
                return;
        dfd = open_dir(c, vm != NULL);
        if (dfd < 0) {
                if (vm || dfd != -ENOENT)
                        log_warning_errno(dfd, "Failed to open %s, ignoring: %m", c->dir);
                return;
        }
        for (size_t i = 0; i < plan->n_moves; i++) {
                const char *address = plan->moves[i].address_str;
                int r;

                /* On vfio-pci already, it only got its override: not the VM's to give back. */
                if (vm && move_is_override_only(&plan->moves[i]))
                        continue;
                r = vm ? claim_save(dfd, address, vm) : (unlinkat(dfd, address, 0) < 0 ? -errno : 0);

                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Failed to %s the VM claim of %s, ignoring: %m",
                                          vm ? "write" : "remove", address);
        }
}

typedef struct FilterData {
        VmClaims *claims;
        const DeviceTable *table;
        const char *vm;
} FilterData;

static bool claimed_and_not_remembered(const Move *mv, void *userdata) {
        const FilterData *f = userdata;
        const Device *d = device_table_find(f->table, &mv->address);
        _cleanup_free_ char *owner = NULL;

        if (!d || d->persistent)
                return false;
        return vm_claim_load(f->claims, mv->address_str, &owner) >= 0 && streq(owner, f->vm);
}

int vm_claims_filter(VmClaims *c, const DeviceTable *t, const char *vm, Plan *plan) {
        assert(c);
        assert(t);
        assert(vm);
        assert(plan);
        plan_keep_moves(plan, claimed_and_not_remembered,
                        &(FilterData){ .claims = c, .table = t, .vm = vm });
        return 0;
}
