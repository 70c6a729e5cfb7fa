/*
 * publish_writer.c - the thread that writes publish_dir
 * (publish_writer.h).
 *
 * One table under one mutex: `queued`, the newest content of each path
 * not yet taken by the thread (the loop replaces an entry's data when
 * the path changes again; an index by path finds it). The thread swaps
 * it with its own `work` table, writes every entry outside the lock,
 * then puts the failed ones back unless newer content for the path
 * arrived meanwhile. Nothing else is shared but the stop flag and the
 * failure count.
 */
#include "publish_writer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <uv.h>

#include "complain.h"
#include "idmap.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

struct pw_item {
    char path[PUBLISH_PATH_MAX];
    uint8_t *data;
    size_t len;
};

/* Up to PUBLISH_MAX_DOCS items, one per path. */
struct pw_table {
    struct pw_item *items;
    size_t n, cap;
    struct idmap index; /* path -> position; kept while it is `queued` */
};

struct publish_writer {
    char *dir;
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;
    /* Under mu. */
    struct pw_table queued;
    int wake;
    int stop;
    uint64_t failures;
    /* The thread's only. */
    struct pw_table work;
    struct complain write_complaint;
};

static void
table_free(struct pw_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        ph_free(t->items[i].data);
    }
    ph_free(t->items);
    idmap_free(&t->index);
    memset(t, 0, sizeof(*t));
}

/* Indexes t's items again after they moved. */
static int
reindex(struct pw_table *t)
{
    idmap_reset(&t->index);
    for (size_t i = 0; i < t->n; i++) {
        int rc = idmap_add(&t->index, t->items[i].path, (int)i);

        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* The item of path in t; a new one (path set, no data) when t has none,
 * *added then set. NULL with *rc set: PH_ETOOBIG (full) or PH_ENOMEM. */
static struct pw_item *
table_slot(struct pw_table *t, const char *path, int *added, int *rc)
{
    int i = idmap_get(&t->index, path);
    struct pw_item *it;

    *added = 0;
    if (i >= 0) {
        return &t->items[i];
    }
    *rc = PH_ETOOBIG;
    if (t->n == PUBLISH_MAX_DOCS) {
        return NULL;
    }
    *rc = PH_ENOMEM;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct pw_item *v;

        if (cap > PUBLISH_MAX_DOCS) {
            cap = PUBLISH_MAX_DOCS;
        }
        v = ph_realloc(t->items, cap * sizeof(*v));
        if (v == NULL) {
            return NULL;
        }
        t->items = v;
        t->cap = cap;
        if (reindex(t) != 0) {
            return NULL;
        }
    }
    it = &t->items[t->n];
    memset(it, 0, sizeof(*it));
    snprintf(it->path, sizeof(it->path), "%s", path);
    if (idmap_add(&t->index, it->path, (int)t->n) != 0) {
        return NULL;
    }
    t->n++;
    *added = 1;
    return it;
}

/* Puts (path, data) into the queue, taking data; under mu. An older
 * content of the path is freed. Returns 0, PH_ETOOBIG (full) or
 * PH_ENOMEM. */
static int
put_locked(struct publish_writer *w, const char *path, uint8_t *data,
           size_t len)
{
    int added, rc;
    struct pw_item *it = table_slot(&w->queued, path, &added, &rc);

    if (it == NULL) {
        return rc;
    }
    if (!added) {
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
        return w->work.n;
    }
    for (size_t i = 0; i < w->work.n; i++) {
        struct pw_item *it = &w->work.items[i];
        int rc = publish_write_file(w->dir, it->path, it->data, it->len);

        if (rc != 0) {
            if (first == 0) {
                complain(&w->write_complaint, time_mono_ms(),
                         "publish: cannot write %s/%s: %s (serving it "
                         "from memory, retrying)",
                         w->dir, it->path, strerror(errno));
                first = rc;
            }
            w->work.items[kept++] = *it;
            continue;
        }
        ph_free(it->data);
        any = 1;
    }
    w->work.n = kept;
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
        for (size_t i = 0; i < w->work.n; i++) {
            struct pw_item *old = &w->work.items[i];
            int added, rc;
            struct pw_item *it =
                table_slot(&w->queued, old->path, &added, &rc);

            if (it != NULL && added) {
                it->data = old->data;
                it->len = old->len;
            } else {
                ph_free(old->data); /* newer content, or no room */
            }
        }
        {
            struct pw_table t = w->work;

            w->work = w->queued;
            w->queued = t;
            w->queued.n = 0;
            idmap_reset(&w->queued.index);
        }
        uv_mutex_unlock(&w->mu);
        failed = w->work.n > 0 ? write_work(w) : 0;
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
    table_free(&w->queued);
    table_free(&w->work);
    uv_cond_destroy(&w->cv);
    uv_mutex_destroy(&w->mu);
    ph_free(w->dir);
    ph_free(w);
}
