/*
 * collector_publish.c - rendering the public documents from a snapshot
 * of the hub into publish (memory and publish_dir), and handing them to
 * the other collectors under `ha:` (docshare). When to render is the
 * driver's business (collector.c: mark_dirty, the publish timer).
 */
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "docshare.h"
#include "feed.h"
#include "feed_history.h"
#include "log.h"
#include "ph_err.h"
#include "publish.h"
#include "publish_writer.h"
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

typedef int (*render_fn)(const struct feed_input *in, char **ret,
                         size_t *ret_len);

static void
put_doc(struct collector *c, const char *path, char *data, size_t len,
        int rc)
{
    if (rc != 0) {
        log_warnx("publish: cannot render %s: %s", path, ph_strerror(rc));
        c->h.metrics.publish_errors++;
        return;
    }
    rc = publish_set_take(c->h.publish, path, publish_content_type(path),
                          (uint8_t *)data, len);
    if (rc != 0) {
        log_warnx("publish: cannot keep %s: %s", path, ph_strerror(rc));
        c->h.metrics.publish_errors++;
    }
}

void
collector_render_all(struct collector *c)
{
    static const struct {
        const char *path;
        render_fn fn;
    } plain[] = {
        {"api/v2/summary.json", feed_summary},
        {"api/v2/status.json", feed_status_doc},
        {"api/v2/components.json", feed_components},
        {"api/v2/regions.json", feed_regions},
        {"api/v2/page.json", feed_page_doc},
        {"api/v2/uptime.json", feed_uptime},
    };
    static const struct {
        const char *path;
        const char *which;
    } incidents[] = {
        {"api/v2/incidents.json", "all"},
        {"api/v2/incidents/unresolved.json", "unresolved"},
        {"api/v2/incidents/resolved.json", "resolved"},
    }, maints[] = {
        {"api/v2/scheduled-maintenances.json", "all"},
        {"api/v2/scheduled-maintenances/upcoming.json", "upcoming"},
        {"api/v2/scheduled-maintenances/active.json", "active"},
    };
    struct feed_input in;
    int64_t t0 = time_mono_ms();
    char *data = NULL;
    size_t len = 0;
    int rc;

    if (!renders(c)) {
        return;
    }
    snapshot_take(&c->h, &in);
    /* Internal components are for signed-in viewers: a public page's
     * documents leave them out; a private page's readers are signed in. */
    in.hide_internal = c->h.conf.page.access == PAGE_ACCESS_PUBLIC;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        rc = plain[i].fn(&in, &data, &len);
        put_doc(c, plain[i].path, data, len, rc);
    }
    for (size_t i = 0; i < sizeof(incidents) / sizeof(incidents[0]); i++) {
        rc = feed_incidents(&in, incidents[i].which, &data, &len);
        put_doc(c, incidents[i].path, data, len, rc);
        rc = feed_maintenances(&in, maints[i].which, &data, &len);
        put_doc(c, maints[i].path, data, len, rc);
    }
    {
        struct feed_history_input hin = {
            .conf = &c->h.conf,
            .incidents = c->h.incidents,
            .nincidents = c->h.nincidents,
            .now_ms = in.now_ms,
        };
        rc = feed_history_atom(&hin, &data, &len);
        put_doc(c, "history.atom", data, len, rc);
        rc = feed_history_rss(&hin, &data, &len);
        put_doc(c, "history.rss", data, len, rc);
    }
    for (int i = -1; i < (int)c->h.conf.ncomponents; i++) {
        char path[PUBLISH_PATH_MAX];

        if (i >= 0 && !feed_shown(&in, (size_t)i)) {
            continue; /* an internal component has no public badge */
        }
        snprintf(path, sizeof(path), "badge/%s.svg",
                 i < 0 ? "status" : c->h.conf.components[i].id);
        rc = feed_badge(&in, i, &data, &len);
        if (rc == 0) {
            rc = publish_set_take(c->h.publish, path, "image/svg+xml",
                                  (uint8_t *)data, len);
        }
        if (rc != 0) {
            c->h.metrics.publish_errors++;
        }
    }
    /* A private page is served from memory only: never as plain files
     * (also when a reload made it private; the files written before stay
     * until removed, as the reload log says). */
    if (c->h.conf.page.access == PAGE_ACCESS_PUBLIC) {
        flush_files(c);
    }
    c->h.metrics.publishes++;
    c->h.metrics.last_publish_ms = time_mono_ms() - t0;
    docshare_published(c->docshare);
}

/* The documents new results change without a status change (uptime.json
 * waits for the next full render: its bars are per day). */
void
collector_render_results(struct collector *c)
{
    struct feed_input in;
    char *data = NULL;
    size_t len = 0;
    int rc;

    if (!renders(c)) {
        return;
    }
    snapshot_take(&c->h, &in);
    rc = feed_regions(&in, &data, &len);
    put_doc(c, "api/v2/regions.json", data, len, rc);
    flush_files(c);
    docshare_published(c->docshare);
}
