/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "thread-job.h"

struct ThreadJob {
        thread_job_run_t run;
        void *input;
        thread_job_done_t done;
        void *userdata;
        int fd; /* the thread says "done" here */
        sd_event_source *source;
        pthread_t thread;
        bool joined;
        void *result; /* written by the thread, read by the loop once it said done */
};

static void *job_thread(void *userdata) {
        ThreadJob *j = userdata;

        j->result = j->run(j->input);
        (void) eventfd_write(j->fd, 1);
        return NULL;
}

static void join(ThreadJob *j) {
        if (j->joined)
                return;
        (void) pthread_join(j->thread, NULL);
        j->joined = true;
}

static int on_done(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        ThreadJob *j = userdata;

        join(j);
        j->source = sd_event_source_disable_unref(j->source);
        j->done(j, TAKE_PTR(j->result), j->userdata);
        return 0;
}

int thread_job_start(sd_event *event, thread_job_run_t run, void *input, thread_job_done_t done,
                     void *userdata, ThreadJob **ret) {
        ThreadJob *j;
        int r;

        assert(ret);
        assert(event);
        assert(run);
        assert(done);
        j = calloc(1, sizeof(ThreadJob));
        if (!j)
                return -ENOMEM;
        *j = (ThreadJob){ .run = run, .input = input, .done = done, .userdata = userdata, .joined = true };
        j->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (j->fd < 0) {
                r = -errno;
                free(j);
                return r;
        }
        r = sd_event_add_io(event, &j->source, j->fd, EPOLLIN, on_done, j);
        if (r >= 0) {
                r = -pthread_create(&j->thread, NULL, job_thread, j);
                j->joined = r < 0;
        }
        if (r < 0) {
                (void) thread_job_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

void *thread_job_free(ThreadJob *j) {
        void *result;

        if (!j)
                return NULL;
        join(j);
        result = j->result;
        sd_event_source_disable_unref(j->source);
        close(j->fd);
        free(j);
        return result;
}
