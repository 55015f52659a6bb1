/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>

#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "persist.h"
#include "sriov-numvfs.h"
#include "worker.h"

/* One PF's count being written. */
typedef struct SriovJob {
        SriovJobs *jobs;
        PciAddress address;
        Worker *worker;
        WorkerStep *steps;
        size_t n_steps;
        bool running;
} SriovJob;

struct SriovJobs {
        Manager *manager;
        Persist *persist;
        SriovJob **list;
        size_t n;
};

int sriov_jobs_new(Manager *m, Persist *p, SriovJobs **ret) {
        SriovJobs *jobs;

        assert(p);
        assert(m);
        assert(ret);
        jobs = calloc(1, sizeof(SriovJobs));
        if (!jobs)
                return -ENOMEM;
        jobs->manager = m;
        jobs->persist = p;
        *ret = jobs;
        return 0;
}

static void job_free(SriovJob *j) {
        if (!j)
                return;
        worker_free(j->worker);
        worker_steps_free(j->steps, j->n_steps);
        free(j);
}

SriovJobs *sriov_jobs_free(SriovJobs *jobs) {
        if (!jobs)
                return NULL;
        for (size_t i = 0; i < jobs->n; i++)
                job_free(jobs->list[i]);
        free(jobs->list);
        free(jobs);
        return NULL;
}

static SriovJob *job_find(SriovJobs *jobs, const PciAddress *a) {
        for (size_t i = 0; i < jobs->n; i++)
                if (pci_address_equal(&jobs->list[i]->address, a))
                        return jobs->list[i];
        return NULL;
}

/* The job of a, made anew (a finished one is dropped). */
static SriovJob *job_renew(SriovJobs *jobs, const PciAddress *a) {
        SriovJob *j = job_find(jobs, a), **grown;

        if (j) {
                worker_free(j->worker);
                worker_steps_free(j->steps, j->n_steps);
        } else {
                grown = realloc(jobs->list, sizeof(SriovJob *) * (jobs->n + 1));
                if (!grown)
                        return NULL;
                jobs->list = grown;
                j = malloc(sizeof(SriovJob));
                if (!j)
                        return NULL;
                jobs->list[jobs->n++] = j;
        }
        *j = (SriovJob){ .jobs = jobs, .address = *a };
        return j;
}

static void on_done(Worker *w, int error, size_t n_done, void *userdata) {
        SriovJob *j = userdata;
        char address[PCI_ADDRESS_STRING_MAX];

        j->running = false;
        pci_address_format(&j->address, address);
        if (error < 0) {
                _cleanup_free_ char *reason = NULL;

                log_warning_errno(error, "%s: writing sriov_numvfs failed: %m", address);
                if (asprintf(&reason, "Writing sriov_numvfs failed: %s.", strerror(-error)) >= 0)
                        persist_note_outcome(j->jobs->persist, &j->address, reason);
                return;
        }
        log_info("%s: virtual functions created, as the configuration asks.", address);
        persist_note_outcome(j->jobs->persist, &j->address, NULL);
}

/* The gate of a VF count: NULL when it may be written now, else why not. */
static const char *refusal_text(const ConfigEntry *e, const Device *d, char *buf, size_t size) {
        if (d->sriov_totalvfs == 0)
                return "It is not an SR-IOV physical function; sriov-numvfs cannot apply.";
        if ((unsigned) e->sriov_numvfs > d->sriov_totalvfs) {
                snprintf(buf, size, "It supports at most %u virtual functions; the entry asks %d.",
                         d->sriov_totalvfs, e->sriov_numvfs);
                return buf;
        }
        if (d->sriov_numvfs != 0) {
                snprintf(buf, size,
                         "It has %u virtual functions and the entry asks %d; the daemon does not remove "
                         "VFs a guest may use: write 0 to its sriov_numvfs first.",
                         d->sriov_numvfs, e->sriov_numvfs);
                return buf;
        }
        if (!d->driver)
                return "It has no driver; the kernel creates VFs only through the PF's driver.";
        return NULL;
}

static int start(SriovJobs *jobs, SriovJob *j, const Device *d, int numvfs) {
        _cleanup_free_ char *path = NULL;
        char value[16];
        WorkerParams params = {
                .event = jobs->manager->event,
                .sysfs = jobs->manager->sources.sysfs,
                .timeout_usec = manager_operation_timeout(jobs->manager),
                .write_count = &jobs->manager->sysfs_writes,
                .on_done = on_done,
                .on_late_exit = on_done,
                .userdata = j,
        };
        int r;

        snprintf(value, sizeof(value), "%d", numvfs);
        r = asprintf(&path, "%s/sriov_numvfs", d->devpath + (d->devpath[0] == '/')) < 0 ? -ENOMEM : 0;
        if (r >= 0)
                r = worker_steps_add(&j->steps, &j->n_steps, WORKER_STEP_WRITE, path, value, 0);
        if (r >= 0)
                r = worker_start(&params, j->steps, j->n_steps, &j->worker);
        if (r < 0)
                return r;
        j->running = true;
        return 0;
}

int sriov_numvfs_apply(SriovJobs *jobs, const ConfigEntry *e, Refusal *refusal) {
        Device *d;
        SriovJob *j;
        const char *why;
        char buf[256];
        int r;

        assert(jobs);
        assert(e);
        d = manager_find_device(jobs->manager, &e->address);
        if (!d || e->sriov_numvfs < 0 || (unsigned) e->sriov_numvfs == d->sriov_numvfs)
                return 0;
        j = job_find(jobs, &e->address);
        if (j && j->running)
                return 1;
        why = refusal_text(e, d, buf, sizeof(buf));
        if (why) {
                log_warning("%s: sriov-numvfs not applied: %s", d->address_str, why);
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED, "%s", why);
        }
        j = job_renew(jobs, &e->address);
        if (!j)
                return -ENOMEM;
        r = start(jobs, j, d, e->sriov_numvfs);
        if (r < 0) {
                log_warning_errno(r, "%s: cannot write sriov_numvfs: %m", d->address_str);
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED, "Could not write sriov_numvfs: %s.",
                                   strerror(-r));
        }
        log_info("%s: creating %d virtual functions, as the configuration asks.", d->address_str,
                 e->sriov_numvfs);
        return 1;
}
