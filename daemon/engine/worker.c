/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "spawn-wait.h"
#include "sysfs.h"
#include "worker.h"

/* A real kernel probes synchronously; emulated ones (testbeds) answer a moment later. */
#define CHECK_SETTLE_USEC (2 * 1000 * 1000)
#define CHECK_POLL_USEC (10 * 1000)

struct Worker {
        WorkerParams params;
        pid_t pid;
        int fd;
        sd_event_source *io, *timer;
        size_t n_steps, n_done, n_writes;
        const WorkerStep *steps;
        int error;
        bool timed_out;
        bool reported; /* the caller has heard the outcome */
        bool detached; /* freed by its owner; only the child's exit is awaited */
};

void worker_steps_free(WorkerStep *steps, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(steps[i].path);
                free(steps[i].value);
        }
        free(steps);
}

int worker_steps_add(WorkerStep **steps, size_t *n, WorkerStepType type, const char *path, const char *value,
                     size_t device) {
        WorkerStep *grown = realloc(*steps, sizeof(WorkerStep) * (*n + 1));
        WorkerStep s = { .type = type, .device = device };

        assert(steps);
        assert(n);
        if (!grown)
                return -ENOMEM;
        *steps = grown;
        s.path = strdup(path);
        s.value = value ? strdup(value) : NULL;
        if (!s.path || (value && !s.value)) {
                free(s.path);
                free(s.value);
                return -ENOMEM;
        }
        grown[(*n)++] = s;
        return 0;
}

const char *worker_step_describe(const WorkerStep *s) {
        assert(s);
        switch (s->type) {
        case WORKER_STEP_WRITE:
                return "setting driver_override";
        case WORKER_STEP_UNBIND:
                return "unbinding from its driver";
        case WORKER_STEP_PROBE:
                return "probing drivers";
        case WORKER_STEP_CHECK:
                return "verifying the bound driver";
        }
        return "unknown step";
}

static bool step_writes(const WorkerStep *s) {
        return s->type != WORKER_STEP_CHECK;
}

#if PASSTHRU_FAULT_POINTS
/* Test builds only: PASSTHRU_FAULT_WRITE=N makes the daemon's Nth sysfs write fail with EIO. */
static int fault_point(unsigned write_number) {
        const char *e = getenv("PASSTHRU_FAULT_WRITE");

        if (!e || strtoul(e, NULL, 10) != write_number)
                return 0;
        log_notice("Fault point: sysfs write %u fails with EIO (PASSTHRU_FAULT_WRITE).", write_number);
        return -EIO;
}
#else
static int fault_point(unsigned write_number) {
        return 0;
}
#endif

static int child_unbind(Sysfs *s, const WorkerStep *step) {
        _cleanup_free_ char *driver = NULL, *path = NULL;
        int r;

        r = sysfs_read_link_name(s, step->path, "driver", &driver);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (asprintf(&path, "bus/pci/drivers/%s/unbind", driver) < 0)
                return -ENOMEM;
        return sysfs_write_path(s, path, step->value);
}

static bool driver_matches(const char *driver, const char *expected) {
        if (expected && streq(expected, WORKER_CHECK_HOST_DRIVER))
                return driver && !streq(driver, "vfio-pci");
        return streq_ptr(driver, expected);
}

static int child_check(Sysfs *s, const WorkerStep *step) {
        for (unsigned waited = 0;; waited += CHECK_POLL_USEC) {
                _cleanup_free_ char *driver = NULL;
                int r = sysfs_read_link_name(s, step->path, "driver", &driver);

                if (r < 0 && r != -ENOENT)
                        return r;
                if (driver_matches(driver, step->value))
                        return 0;
                if (waited >= CHECK_SETTLE_USEC)
                        /* The write succeeded and still nothing (or the wrong driver) took it. */
                        return driver ? -EBUSY : -ENODEV;
                (void) nanosleep(&(struct timespec){ .tv_nsec = CHECK_POLL_USEC * 1000 }, NULL);
        }
}

static int child_step(Sysfs *s, const WorkerStep *step, unsigned write_number) {
        int r;

        if (step_writes(step)) {
                r = fault_point(write_number);
                if (r < 0)
                        return r;
        }
        switch (step->type) {
        case WORKER_STEP_WRITE:
                return sysfs_write_path(s, step->path, step->value);
        case WORKER_STEP_UNBIND:
                return child_unbind(s, step);
        case WORKER_STEP_PROBE:
                return sysfs_write_path(s, "bus/pci/drivers_probe", step->value);
        case WORKER_STEP_CHECK:
                return child_check(s, step);
        }
        return -EINVAL;
}

/* In the child (spawn_fork()), which keeps only stdio, the pipe and sysfs: a child stuck in
 * the kernel may outlive the daemon, and were it to hold the bus socket, the old connection
 * (and the bus name) would stay alive. */
static int child_run(int fd, void *userdata) {
        Worker *w = userdata;
        unsigned writes = w->params.write_count ? *w->params.write_count : 0;

        for (size_t i = 0; i < w->n_steps; i++) {
                int32_t r;

                if (step_writes(&w->steps[i]))
                        writes++;
                r = child_step(w->params.sysfs, &w->steps[i], writes);
                if (write(fd, &r, sizeof(r)) != sizeof(r) || r < 0)
                        break;
        }
        /* The child's copy of the Worker is referenced by nothing live any more (the child
         * exits next): free it, or memcheck, which follows forks, reports it lost. */
        free(w);
        return EXIT_SUCCESS;
}

static void count_writes(Worker *w) {
        if (!w->params.write_count)
                return;
        /* The failing step's write was attempted too. */
        for (size_t i = 0; i < w->n_done + (w->error < 0) && i < w->n_steps; i++)
                if (step_writes(&w->steps[i]))
                        (*w->params.write_count)++;
}

/* Every step has reported, or one failed: nothing but the child's exit is left. */
static bool all_reported(const Worker *w) {
        return w->n_done >= w->n_steps || w->error < 0;
}

/* Tells the caller, once: the child has reported its last step (or a failure), or died. */
static void report(Worker *w) {
        w->reported = true;
        w->timer = sd_event_source_disable_unref(w->timer);
        count_writes(w);
        if (w->timed_out) {
                if (w->params.on_late_exit)
                        w->params.on_late_exit(w, w->error, w->n_done, w->params.userdata);
        } else
                w->params.on_done(w, w->error, w->n_done, w->params.userdata);
}

/* The pipe closed: the child is exiting, so this wait is short. A worker its owner freed
 * meanwhile (detached) goes with its event source. */
static void reap(Worker *w) {
        (void) spawn_reap(w->pid);
        w->pid = 0;
        if (w->detached) {
                sd_event_source *io = w->io;

                /* The loop's reference is the last: giving it up frees the source and, by
                 * its destroy callback, w. */
                (void) sd_event_source_set_enabled(io, SD_EVENT_OFF);
                (void) sd_event_source_set_floating(io, false);
                return;
        }
        w->io = sd_event_source_disable_unref(w->io);
        if (!w->reported) {
                if (w->error == 0 && w->n_done < w->n_steps)
                        w->error = -EPIPE; /* the child died between steps */
                report(w);
        }
}

/* Every step's result that is there: one wake-up, not one a step. The caller hears as soon
 * as the last one is in, not after the child's exit, which tears down a forked copy of the
 * daemon (tens of milliseconds under TCG); the child is reaped when its pipe closes. */
static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Worker *w = userdata;

        for (;;) {
                int32_t r;
                ssize_t n = read(fd, &r, sizeof(r));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        if (!w->reported && all_reported(w))
                                report(w);
                        return 0;
                }
                if (n != sizeof(r)) {
                        reap(w);
                        return 0;
                }
                if (r < 0)
                        w->error = r;
                else
                        w->n_done++;
        }
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Worker *w = userdata;

        w->timer = sd_event_source_disable_unref(w->timer);
        /* Only the exit is pending, and that cannot hang. */
        if (all_reported(w))
                return 0;
        w->timed_out = true;
        log_warning("Sysfs worker %d did not finish in time; step %zu (%s %s) is hanging in the kernel.",
                    (int) w->pid, w->n_done, worker_step_describe(&w->steps[w->n_done]),
                    w->steps[w->n_done].path);
        /* The child is left to finish: if the kernel returns, the remaining steps complete the
         * change, and the exit callback lets the caller catch up. */
        w->params.on_done(w, -ETIMEDOUT, w->n_done, w->params.userdata);
        return 0;
}

int worker_start(const WorkerParams *p, const WorkerStep *steps, size_t n_steps, Worker **ret) {
        _cleanup_(worker_freep) Worker *w = NULL;
        int r;

        assert(p);
        assert(ret);
        w = calloc(1, sizeof(Worker));
        if (!w)
                return -ENOMEM;
        w->params = *p;
        w->steps = steps;
        w->n_steps = n_steps;
        w->fd = -EBADF;
        r = spawn_fork(
                &(SpawnForkParams){ .run = child_run, .userdata = w, .keep_fd = sysfs_root_fd(p->sysfs) },
                &w->pid, &w->fd);
        if (r < 0)
                return log_error_errno(r, "Failed to fork sysfs worker: %m");
        (void) fcntl(w->fd, F_SETFL, O_NONBLOCK);
        r = sd_event_add_io(p->event, &w->io, w->fd, EPOLLIN, on_io, w);
        /* Before the uevents the change itself causes: the caller hears first, the model
         * catches up after. */
        if (r >= 0)
                r = sd_event_source_set_priority(w->io, SD_EVENT_PRIORITY_IMPORTANT);
        if (r >= 0)
                r = sd_event_add_time_relative(p->event, &w->timer, CLOCK_MONOTONIC, p->timeout_usec, 0,
                                               on_timeout, w);
        if (r < 0)
                return log_error_errno(r, "Failed to watch sysfs worker: %m");
        *ret = TAKE_PTR(w);
        return 0;
}

static void free_worker(void *userdata) {
        Worker *w = userdata;

        if (w->fd >= 0)
                close(w->fd);
        free(w);
}

/* Reported in full, the child only has its exit left: the event loop takes the pipe's
 * source, reaps the child when the pipe closes and frees w with the source (or when the
 * loop itself ends). */
static bool detach(Worker *w) {
        if (!w->reported || w->pid <= 0 || !w->io || sd_event_source_set_floating(w->io, true) < 0)
                return false;
        (void) sd_event_source_set_destroy_callback(w->io, free_worker);
        w->detached = true;
        /* w->io stays as the source's name; the reference is the loop's now. */
        (void) sd_event_source_unref(w->io);
        return true;
}

Worker *worker_free(Worker *w) {
        if (!w)
                return NULL;
        w->timer = sd_event_source_disable_unref(w->timer);
        if (detach(w))
                return NULL;
        sd_event_source_disable_unref(w->io);
        if (w->pid > 0)
                spawn_kill(w->pid, SIGKILL);
        free_worker(w);
        return NULL;
}
