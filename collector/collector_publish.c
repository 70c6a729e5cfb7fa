/*
 * collector_publish.c - rendering the public documents from a snapshot
 * of the hub into publish (memory and publish_dir), and handing them to
 * the other collectors under `ha:` (docshare). When to render is the
 * driver's business (collector.c: mark_dirty, the publish timer).
 *
 * Two ways, one list of documents (render_docs()):
 * - collector_render() (the publish timer: every change, every 5 s, new
 *   results) copies what the documents need (snapshot_copy()) and
 *   renders, serialises, gzips and hashes them on the render worker's
 *   thread; the loop then only compares and swaps each document in
 *   (publish_set_prepared()). The loop never stalls for a render, so
 *   reads do not wait behind it (issue #15 item 2).
 * - collector_render_all() renders on the loop, for the moments the
 *   documents must be current before the loop goes on: at start and at
 *   shutdown. Before the reply to a write that promises read-your-writes,
 *   collector_render_sync() renders the documents about now on the loop
 *   and leaves uptime.json (days; most of a render's time) to the worker.
 * Every render gets a sequence number; a worker's render that finishes
 * after a newer one was applied is dropped, so documents never go back.
 */
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "docshare.h"
#include "feed.h"
#include "feed_history.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "publish.h"
#include "publish_writer.h"
#include "render_worker.h"
#include "snapshot.h"
#include "timefmt.h"

/*
 * Whether this collector renders the public documents itself: always
 * without `ha:` and while it leads; a follower serves the leader's
 * documents (docshare.c) once it has had them, and its own until then
 * (never a blank page, even when it starts with the database down).
 */
static int
renders(const struct collector *c)
{
    struct docshare_status st;

    if (c->docshare == NULL || c->h.role.leading) {
        return 1;
    }
    docshare_status(c->docshare, &st);
    return st.pulls == 0;
}

/* Writes the changed documents into publish_dir: handed to the writer
 * thread (publish_writer.h), so the loop never waits for an fsync. */
static void
flush_files(struct collector *c)
{
    if (c->pubw == NULL) {
        if (publish_flush(c->h.publish) != 0) {
            c->h.metrics.publish_errors++;
        }
        return;
    }
    if (publish_writer_queue(c->pubw, c->h.publish) != 0) {
        c->h.metrics.publish_errors++;
    }
    c->h.metrics.publish_errors += publish_writer_take_failures(c->pubw);
}

/* One rendered document: rc is the renderer's result (0: d.data set). */
struct rendered {
    struct publish_prepared d;
    int rc;
    int quiet; /* a badge: failures are counted, not logged */
};

struct render_out {
    struct rendered *docs;
    size_t n, cap;
    int lost; /* a document was lost: no memory, or PUBLISH_MAX_DOCS */
    int64_t uptime_ms; /* how long uptime.json took; -1: not rendered */
};

static void
out_free(struct render_out *o)
{
    for (size_t i = 0; i < o->n; i++) {
        ph_free(o->docs[i].d.data);
        ph_free(o->docs[i].d.gz);
    }
    ph_free(o->docs);
    memset(o, 0, sizeof(*o));
}

/* Adds one document, the result rc of its renderer: *datap is taken
 * when rc is 0 (a renderer that fails hands nothing over) and NULL
 * after, so a stale pointer never reaches the next document. prepare:
 * gzip and hash it here. */
static void
out_add(struct render_out *o, const char *path, const char *content_type,
        char **datap, size_t len, int rc, int quiet, int prepare)
{
    char *data = rc == 0 ? *datap : NULL;
    struct rendered *r;

    *datap = NULL;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 32;
        struct rendered *nd;

        if (cap > PUBLISH_MAX_DOCS) {
            cap = PUBLISH_MAX_DOCS;
        }
        nd = o->n < cap ? ph_realloc(o->docs, cap * sizeof(*nd)) : NULL;
        if (nd == NULL) {
            ph_free(data);
            o->lost = 1;
            return;
        }
        o->docs = nd;
        o->cap = cap;
    }
    r = &o->docs[o->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->d.path, sizeof(r->d.path), "%s", path);
    r->d.content_type = content_type;
    r->rc = rc;
    r->quiet = quiet;
    if (rc != 0) {
        return;
    }
    r->d.data = (uint8_t *)data;
    r->d.len = len;
    if (prepare) {
        /* A failed gzip leaves the document without its gzip form. */
        (void)publish_prepare(&r->d);
    } else {
        r->d.hash = 0;
    }
}

typedef int (*render_fn)(const struct feed_input *in, char **ret,
                         size_t *ret_len);

/* Which documents a render makes; each set holds the one before. */
enum render_set {
    RENDER_REGIONS, /* regions.json: what new results change */
    RENDER_NOW,     /* all but uptime.json (see collector_render_sync) */
    RENDER_ALL,
};

/* An idle refresh (COLLECTOR_RENDER_REFRESH) renders uptime.json again
 * once its last render is this many times as old as that render took:
 * at most 1/UPTIME_DUTY of the worker's time goes to keeping today's
 * bar current. Every refresh on a small page (tens of ms); every 25 s
 * or so at 2000 components (over a second each). */
#define UPTIME_DUTY 20

/* Renders the documents of set from in. Pure with respect to the
 * collector: any thread. */
static void
render_docs(const struct feed_input *in, enum render_set set, int prepare,
            struct render_out *o)
{
    static const struct {
        const char *path;
        render_fn fn;
        int daily; /* about days, not now: left out of RENDER_NOW */
    } plain[] = {
        {"api/v2/summary.json", feed_summary, 0},
        {"api/v2/status.json", feed_status_doc, 0},
        {"api/v2/components.json", feed_components, 0},
        {"api/v2/regions.json", feed_regions, 0},
        {"api/v2/page.json", feed_page_doc, 0},
        {"api/v2/uptime.json", feed_uptime, 1},
    };
    static const struct {
        const char *path;
        const char *which;
    } incidents[] =
        {
            {"api/v2/incidents.json", "all"},
            {"api/v2/incidents/unresolved.json", "unresolved"},
            {"api/v2/incidents/resolved.json", "resolved"},
        },
      maints[] = {
          {"api/v2/scheduled-maintenances.json", "all"},
          {"api/v2/scheduled-maintenances/upcoming.json", "upcoming"},
          {"api/v2/scheduled-maintenances/active.json", "active"},
      };
    const struct pharos_conf *cf = in->conf;
    char *data = NULL;
    size_t len = 0;
    int rc;

    if (set == RENDER_REGIONS) {
        rc = feed_regions(in, &data, &len);
        out_add(o, "api/v2/regions.json",
                publish_content_type("api/v2/regions.json"), &data, len, rc, 0,
                prepare);
        return;
    }
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        int64_t t0 = time_mono_ms();

        if (plain[i].daily && set == RENDER_NOW) {
            continue;
        }
        rc = plain[i].fn(in, &data, &len);
        if (plain[i].daily) {
            o->uptime_ms = time_mono_ms() - t0;
        }
        out_add(o, plain[i].path, publish_content_type(plain[i].path), &data,
                len, rc, 0, prepare);
    }
    for (size_t i = 0; i < sizeof(incidents) / sizeof(incidents[0]); i++) {
        rc = feed_incidents(in, incidents[i].which, &data, &len);
        out_add(o, incidents[i].path, publish_content_type(incidents[i].path),
                &data, len, rc, 0, prepare);
        rc = feed_maintenances(in, maints[i].which, &data, &len);
        out_add(o, maints[i].path, publish_content_type(maints[i].path),
                &data, len, rc, 0, prepare);
    }
    {
        struct feed_history_input hin = {
            .conf = cf,
            .incidents = in->incidents,
            .nincidents = in->nincidents,
            .now_ms = in->now_ms,
        };
        rc = feed_history_atom(&hin, &data, &len);
        out_add(o, "history.atom", publish_content_type("history.atom"),
                &data, len, rc, 0, prepare);
        rc = feed_history_rss(&hin, &data, &len);
        out_add(o, "history.rss", publish_content_type("history.rss"),
                &data, len, rc, 0, prepare);
    }
    for (int i = -1; i < (int)cf->ncomponents; i++) {
        char path[PUBLISH_PATH_MAX];

        if (i >= 0 && !feed_shown(in, (size_t)i)) {
            continue; /* an internal component has no public badge */
        }
        snprintf(path, sizeof(path), "badge/%s.svg",
                 i < 0 ? "status" : cf->components[i].id);
        rc = feed_badge(in, i, &data, &len);
        out_add(o, path, "image/svg+xml", &data, len, rc, 1, prepare);
    }
}

/* Swaps the rendered documents in (loop thread), then writes the
 * changed ones into publish_dir unless the page is private. */
static void
apply_docs(struct collector *c, struct render_out *o, int prepared, int flush)
{
    if (o->lost) {
        log_warnx("publish: out of memory or past %d documents: some "
                  "documents keep their previous content",
                  PUBLISH_MAX_DOCS);
        c->h.metrics.publish_errors++;
    }
    for (size_t i = 0; i < o->n; i++) {
        struct rendered *r = &o->docs[i];
        int rc = r->rc;

        if (rc == 0) {
            if (prepared) {
                rc = publish_set_prepared(c->h.publish, &r->d);
            } else {
                rc = publish_set_take(c->h.publish, r->d.path,
                                      r->d.content_type, r->d.data, r->d.len);
                r->d.data = NULL;
            }
            if (rc != 0 && !r->quiet) {
                log_warnx("publish: cannot keep %s: %s", r->d.path,
                          ph_strerror(rc));
            }
        } else if (!r->quiet) {
            log_warnx("publish: cannot render %s: %s", r->d.path,
                      ph_strerror(rc));
        }
        if (rc != 0) {
            c->h.metrics.publish_errors++;
        }
    }
    if (o->uptime_ms >= 0) {
        c->uptime_at_ms = time_mono_ms();
        c->uptime_cost_ms = o->uptime_ms;
    }
    /* A private page is served from memory only: never as plain files
     * (also when a reload made it private; the files written before stay
     * until removed, as the reload log says). */
    if (flush) {
        flush_files(c);
    }
    docshare_published(c->docshare);
}

/* Renders set on the loop: the documents are current when it returns. */
static void
render_on_loop(struct collector *c, enum render_set set)
{
    struct feed_input in;
    struct render_out o;
    int64_t t0 = time_mono_ms();

    memset(&o, 0, sizeof(o));
    o.uptime_ms = -1;
    snapshot_take(&c->h, &in);
    /* Internal components are for signed-in viewers: a public page's
     * documents leave them out; a private page's readers are signed in. */
    in.hide_internal = c->h.conf.page.access == PAGE_ACCESS_PUBLIC;
    render_docs(&in, set, 0, &o);
    c->render_applied = ++c->render_seq;
    apply_docs(c, &o, 0,
               set == RENDER_REGIONS ||
                   c->h.conf.page.access == PAGE_ACCESS_PUBLIC);
    out_free(&o);
    if (set == RENDER_ALL) {
        c->h.metrics.publishes++;
        c->h.metrics.last_publish_ms = time_mono_ms() - t0;
    }
}

void
collector_render_all(struct collector *c)
{
    if (renders(c)) {
        render_on_loop(c, RENDER_ALL);
    }
}

/* The documents new results change without a status change (uptime.json
 * waits for the next full render: its bars are per day). */
void
collector_render_results(struct collector *c)
{
    if (renders(c)) {
        render_on_loop(c, RENDER_REGIONS);
    }
}

/* A render on the worker thread. */
struct bg_render {
    struct render_job job; /* first: the worker hands this back */
    struct collector *c;
    struct snapshot *snap;
    enum render_set set;
    int hide_internal;
    int flush;
    uint64_t seq;
    int64_t ms; /* how long the render took on the worker */
    struct render_out out;
};

static void
bg_run(struct render_job *j)
{
    struct bg_render *b = (struct bg_render *)j;
    struct feed_input in = *snapshot_input(b->snap);
    int64_t t0 = time_mono_ms();

    in.hide_internal = b->hide_internal;
    render_docs(&in, b->set, 1, &b->out);
    b->ms = time_mono_ms() - t0;
}

static void start_bg(struct collector *c, enum render_set set);

static void
bg_done(struct render_job *j)
{
    struct bg_render *b = (struct bg_render *)j;
    struct collector *c = b->c;
    int again = c->render_again;
    enum render_set again_set = (enum render_set)c->render_again_set;

    c->render_again = 0;
    c->render_again_set = RENDER_REGIONS;
    /* Dropped if a newer render (on the loop) was applied meanwhile, or
     * when the collector stopped rendering (a follower under `ha:`). */
    if (b->seq > c->render_applied && renders(c)) {
        c->render_applied = b->seq;
        apply_docs(c, &b->out, 1, b->flush);
        if (b->set != RENDER_REGIONS) {
            c->h.metrics.publishes++;
            c->h.metrics.last_publish_ms = b->ms;
        }
    }
    out_free(&b->out);
    snapshot_free(b->snap);
    ph_free(b);
    /* Nothing reads the configurations a reload replaced any more. */
    for (size_t i = 0; i < c->nretired; i++) {
        pharos_conf_free(&c->retired[i]);
    }
    c->nretired = 0;
    if (again && c->h.shutting_down) {
        c->dirty = 1; /* collector_stop() renders the last state */
    } else if (again) {
        start_bg(c, again_set);
    }
}

static void
start_bg(struct collector *c, enum render_set set)
{
    struct bg_render *b = NULL;
    int rc;

    if (render_worker_busy(c->renderw)) {
        /* One render at a time: the next one starts from the state at
         * the end of this one, and renders what both asked for. */
        c->render_again = 1;
        if ((int)set > c->render_again_set) {
            c->render_again_set = (int)set;
        }
        return;
    }
    b = ph_calloc(1, sizeof(*b));
    if (b == NULL ||
        (rc = snapshot_copy(&c->h, set == RENDER_ALL, &b->snap)) != 0) {
        ph_free(b);
        goto on_loop;
    }
    b->job.run = bg_run;
    b->job.done = bg_done;
    b->c = c;
    b->set = set;
    b->out.uptime_ms = -1;
    b->hide_internal = c->h.conf.page.access == PAGE_ACCESS_PUBLIC;
    b->flush = set == RENDER_REGIONS ||
               c->h.conf.page.access == PAGE_ACCESS_PUBLIC;
    b->seq = ++c->render_seq;
    if (render_worker_submit(c->renderw, &b->job) != 0) {
        snapshot_free(b->snap);
        ph_free(b);
        goto on_loop;
    }
    return;
on_loop:
    /* Out of memory for the copy (or no worker): render here, as
     * before. */
    render_on_loop(c, set);
}

/* Whether renders go to the worker. Past FEED_REGIONS_ALL_MAX check x
 * region pairs, copying the engine for every render costs the loop more
 * than regions.json (which then lists only the failing checks) costs to
 * render on it. */
static int
on_worker(const struct collector *c)
{
    return c->renderw != NULL &&
           c->h.conf.nchecks *
                   (c->h.conf.nregions ? c->h.conf.nregions : 1) <=
               FEED_REGIONS_ALL_MAX;
}

/* What a render of kind makes. */
static enum render_set
set_of(const struct collector *c, enum collector_render_kind kind)
{
    switch (kind) {
    case COLLECTOR_RENDER_RESULTS:
        return RENDER_REGIONS;
    case COLLECTOR_RENDER_REFRESH:
        return c->uptime_at_ms == 0 ||
                       time_mono_ms() - c->uptime_at_ms >=
                           UPTIME_DUTY * c->uptime_cost_ms
                   ? RENDER_ALL
                   : RENDER_NOW;
    case COLLECTOR_RENDER_FULL:
        break;
    }
    return RENDER_ALL;
}

void
collector_render(struct collector *c, enum collector_render_kind kind)
{
    if (!renders(c)) {
        return;
    }
    if (on_worker(c)) {
        start_bg(c, set_of(c, kind));
    } else {
        render_on_loop(c, set_of(c, kind));
    }
}

void
collector_conf_retire(struct collector *c, struct pharos_conf *old)
{
    if (!render_worker_busy(c->renderw)) {
        pharos_conf_free(old);
        return;
    }
    if (c->nretired == c->retired_cap) {
        size_t cap = c->retired_cap ? c->retired_cap * 2 : 8;
        struct pharos_conf *v =
            cap <= COLLECTOR_RETIRED_MAX
                ? ph_realloc(c->retired, cap * sizeof(*v))
                : NULL;

        if (v == NULL) {
            /* Wait for the render instead (bg_done, run by the wait,
             * frees the ones kept). */
            render_worker_wait(c->renderw);
            pharos_conf_free(old);
            return;
        }
        c->retired = v;
        c->retired_cap = cap;
    }
    c->retired[c->nretired++] = *old;
    memset(old, 0, sizeof(*old));
    /* Its documents show the configuration before: dropped when it ends
     * (render_applied is past its sequence number), and a full render
     * from the new one follows. */
    c->render_applied = c->render_seq;
    c->render_again = 1;
    c->render_again_set = RENDER_ALL;
}

void
collector_render_sync(struct collector *c)
{
    if (!renders(c)) {
        return;
    }
    if (!on_worker(c)) {
        render_on_loop(c, RENDER_ALL);
        return;
    }
    /* uptime.json is most of a render's time (90 days a component, each
     * an object: 0.2 s at 250 components) and is about days: the worker
     * renders it, with the rest again, at once. */
    render_on_loop(c, RENDER_NOW);
    start_bg(c, RENDER_ALL);
}
