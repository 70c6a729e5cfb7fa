/*
 * publish_writer.c - the thread that writes publish_dir
 * (publish_writer.h).
 *
 * One table under one mutex: `queued`, the newest content of each path
 * not yet taken by the thread (the loop replaces an entry's data when
 * the path changes again). The thread swaps it with its own `work`
 * table, writes every entry outside the lock, then puts the failed ones
 * back unless newer content for the path arrived meanwhile. Nothing
 * else is shared but the stop flag and the failure count.
 */
#include "publish_writer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <uv.h>

#include "complain.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

struct pw_item {
    char path[PUBLISH_PATH_MAX];
    uint8_t *data;
    size_t len;
};

struct publish_writer {
    char *dir;
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;
    /* Under mu. */
    struct pw_item queued[PUBLISH_MAX_DOCS];
    size_t nqueued;
    int wake;
    int stop;
    uint64_t failures;
    /* The thread's only. */
    struct pw_item work[PUBLISH_MAX_DOCS];
    size_t nwork;
    struct complain write_complaint;
};

static struct pw_item *
find_item(struct pw_item *items, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i].path, path) == 0) {
            return &items[i];
        }
    }
    return NULL;
}

/* Puts (path, data) into the queue, taking data; under mu. An older
 * content of the path is freed. Returns 0 or PH_ETOOBIG (full). */
static int
put_locked(struct publish_writer *w, const char *path, uint8_t *data,
           size_t len)
{
    struct pw_item *it = find_item(w->queued, w->nqueued, path);

    if (it == NULL) {
        if (w->nqueued == PUBLISH_MAX_DOCS) {
            return PH_ETOOBIG;
        }
        it = &w->queued[w->nqueued++];
        snprintf(it->path, sizeof(it->path), "%s", path);
    } else {
        ph_free(it->data);
    }
    it->data = data;
    it->len = len;
    return 0;
}

/* Writes the work table; returns the number of failed documents, which
 * stay in work (the others are freed and removed). */
static size_t
write_work(struct publish_writer *w)
{
    size_t kept = 0;
    int any = 0;
    int first = 0;

    if (mkdir(w->dir, 0755) != 0 && errno != EEXIST) {
        complain(&w->write_complaint, time_mono_ms(),
                 "publish: cannot create %s: %s", w->dir, strerror(errno));
        return w->nwork;
    }
    for (size_t i = 0; i < w->nwork; i++) {
        struct pw_item *it = &w->work[i];
        int rc = publish_write_file(w->dir, it->path, it->data, it->len);

        if (rc != 0) {
            if (first == 0) {
                complain(&w->write_complaint, time_mono_ms(),
                         "publish: cannot write %s/%s: %s (serving it "
                         "from memory, retrying)",
                         w->dir, it->path, strerror(errno));
                first = rc;
            }
            w->work[kept++] = *it;
            continue;
        }
        ph_free(it->data);
        any = 1;
    }
    w->nwork = kept;
    if (first == 0) {
        complain_release(&w->write_complaint, "publish: writing %s again",
                         w->dir);
    }
    if (any) {
        publish_sync_dir(w->dir);
    }
    return kept;
}

static void
run(void *arg)
{
    struct publish_writer *w = arg;
    int last = 0;

    uv_mutex_lock(&w->mu);
    while (!last) {
        size_t failed;

        while (!w->wake && !w->stop) {
            uv_cond_wait(&w->cv, &w->mu);
        }
        last = w->stop;
        w->wake = 0;
        /* Take the queue; failures kept from the last pass that have
         * no newer content go first. */
        for (size_t i = 0; i < w->nwork; i++) {
            struct pw_item *old = &w->work[i];

            if (find_item(w->queued, w->nqueued, old->path) != NULL ||
                w->nqueued == PUBLISH_MAX_DOCS) {
                ph_free(old->data);
            } else {
                w->queued[w->nqueued++] = *old;
            }
        }
        memcpy(w->work, w->queued, w->nqueued * sizeof(w->work[0]));
        w->nwork = w->nqueued;
        w->nqueued = 0;
        uv_mutex_unlock(&w->mu);
        failed = w->nwork > 0 ? write_work(w) : 0;
        uv_mutex_lock(&w->mu);
        if (failed > 0) {
            w->failures++;
        }
    }
    uv_mutex_unlock(&w->mu);
}

int
publish_writer_start(const char *dir, struct publish_writer **ret)
{
    struct publish_writer *w = ph_calloc(1, sizeof(*w));
    int result = PH_ENOMEM;
    int mu = 0, cv = 0;

    if (w == NULL) {
        goto out;
    }
    w->dir = ph_strdup(dir);
    if (w->dir == NULL) {
        goto out;
    }
    result = PH_EINTERNAL;
    if (uv_mutex_init(&w->mu) != 0) {
        goto out;
    }
    mu = 1;
    if (uv_cond_init(&w->cv) != 0) {
        goto out;
    }
    cv = 1;
    if (uv_thread_create(&w->thread, run, w) != 0) {
        goto out;
    }
    *ret = w;
    w = NULL;
    result = 0;
out:
    if (w != NULL) {
        if (cv) {
            uv_cond_destroy(&w->cv);
        }
        if (mu) {
            uv_mutex_destroy(&w->mu);
        }
        ph_free(w->dir);
        ph_free(w);
    }
    return result;
}

/* publish_hand_dirty's callback: one document copied into the queue. */
static int
queue_doc(const struct publish_doc *d, void *arg)
{
    struct publish_writer *w = arg;
    uint8_t *copy = ph_malloc(d->len + 1);
    int rc;

    if (copy == NULL) {
        return PH_ENOMEM;
    }
    memcpy(copy, d->data, d->len);
    copy[d->len] = '\0';
    uv_mutex_lock(&w->mu);
    rc = put_locked(w, d->path, copy, d->len);
    uv_mutex_unlock(&w->mu);
    if (rc != 0) {
        ph_free(copy);
    }
    return rc;
}

int
publish_writer_queue(struct publish_writer *w, struct publish *p)
{
    int rc = publish_hand_dirty(p, queue_doc, w);

    uv_mutex_lock(&w->mu);
    w->wake = 1;
    uv_cond_signal(&w->cv);
    uv_mutex_unlock(&w->mu);
    return rc;
}

uint64_t
publish_writer_take_failures(struct publish_writer *w)
{
    uint64_t n;

    uv_mutex_lock(&w->mu);
    n = w->failures;
    w->failures = 0;
    uv_mutex_unlock(&w->mu);
    return n;
}

void
publish_writer_stop(struct publish_writer *w)
{
    if (w == NULL) {
        return;
    }
    uv_mutex_lock(&w->mu);
    w->stop = 1;
    uv_cond_signal(&w->cv);
    uv_mutex_unlock(&w->mu);
    uv_thread_join(&w->thread);
    for (size_t i = 0; i < w->nqueued; i++) {
        ph_free(w->queued[i].data);
    }
    for (size_t i = 0; i < w->nwork; i++) {
        ph_free(w->work[i].data);
    }
    uv_cond_destroy(&w->cv);
    uv_mutex_destroy(&w->mu);
    ph_free(w->dir);
    ph_free(w);
}
