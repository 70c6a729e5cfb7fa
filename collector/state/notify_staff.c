/*
 * notify_staff.c - update reminders to incidents.staff (see
 * notify_staff.h).
 */
#include "notify_staff.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "notify.h"
#include "notify_fmt.h"
#include "ph_err.h"
#include "store.h"
#include "store_async_notify.h"
#include "timefmt.h"
#include "token.h"

#define REMIND_TEXT_MAX 2048

static void
on_staff_synced(int result, const char *errmsg, void *arg)
{
    (void)arg;
    if (result != 0) {
        log_warnx("notify: cannot store the staff channels: %s", errmsg);
    }
}

void
notify_staff_sync(struct hub *h)
{
    struct store_subscriber *rows;
    size_t n = 0;

    rows = ph_calloc(h->conf.nstaff + 1, sizeof(*rows));
    if (rows == NULL) {
        log_warnx("notify: out of memory; staff channels not updated");
        return;
    }
    for (size_t i = 0; i < h->conf.nstaff; i++) {
        const struct conf_staff *c = &h->conf.staff[i];
        struct store_subscriber *r = &rows[n];

        if (c->address == NULL || c->kind < 0 || c->kind >= NOTIFY_KINDS) {
            continue;
        }
        store_staff_id(c->kind, c->address, r->id);
        snprintf(r->kind, sizeof(r->kind), "%s",
                 notify_kind_name((enum notify_kind)c->kind));
        snprintf(r->address, sizeof(r->address), "%s", c->address);
        snprintf(r->secret, sizeof(r->secret), "%s",
                 c->secret != NULL ? c->secret : "");
        n++;
    }
    /* Without waiting for the database (a reload runs on the loop). */
    if (store_staff_sync_async(h->store, rows, n, time_now_ms(),
                               on_staff_synced, NULL) != 0) {
        log_warnx("notify: out of memory; staff channels not updated");
    }
    memset(rows, 0, (h->conf.nstaff + 1) * sizeof(*rows));
    ph_free(rows);
}

/* One reminder to every staff channel: the channels are read and the
 * messages enqueued through store_async_notify.h (on PostgreSQL on the
 * writer thread), so what they say is copied here first. */
struct remind {
    struct hub *h;
    char inc_id[INC_ID_LEN + 1];
    char *inc_name;        /* owned */
    enum inc_status status;
    int64_t due_ms;
    int64_t now_ms;
    char text[REMIND_TEXT_MAX]; /* the reminder in one paragraph */
    char last[ISO8601_MAX];
    int enqueued;
    int error;
    struct store_outbox_new *msgs; /* text owned */
    int *kinds;
    size_t nmsgs, capmsgs;
};

static void
remind_free(struct remind *r)
{
    for (size_t i = 0; i < r->nmsgs; i++) {
        ph_free((char *)(uintptr_t)r->msgs[i].idem_key);
        ph_free((char *)(uintptr_t)r->msgs[i].msg_id);
        ph_free((char *)(uintptr_t)r->msgs[i].subscriber_id);
        ph_free((char *)(uintptr_t)r->msgs[i].payload);
    }
    ph_free(r->msgs);
    ph_free(r->kinds);
    ph_free(r->inc_name);
    ph_free(r);
}

/* Appends one rendered message (its text copied); 0 or PH_ENOMEM. */
static int
remind_add(struct remind *r, const struct store_outbox_new *m, int kind)
{
    struct store_outbox_new *d;

    if (r->nmsgs == r->capmsgs) {
        size_t cap = r->capmsgs == 0 ? 4 : r->capmsgs * 2;
        struct store_outbox_new *v = ph_realloc(r->msgs, cap * sizeof(*v));
        int *k;

        if (v == NULL) {
            return PH_ENOMEM;
        }
        r->msgs = v;
        k = ph_realloc(r->kinds, cap * sizeof(*k));
        if (k == NULL) {
            return PH_ENOMEM;
        }
        r->kinds = k;
        r->capmsgs = cap;
    }
    d = &r->msgs[r->nmsgs];
    *d = *m;
    d->idem_key = ph_strdup(m->idem_key);
    d->msg_id = ph_strdup(m->msg_id);
    d->subscriber_id = ph_strdup(m->subscriber_id);
    d->payload = ph_strdup(m->payload != NULL ? m->payload : "");
    r->kinds[r->nmsgs] = kind;
    r->nmsgs++; /* counted now: remind_free() frees a partial one */
    if (d->idem_key == NULL || d->msg_id == NULL ||
        d->subscriber_id == NULL || d->payload == NULL) {
        return PH_ENOMEM;
    }
    return 0;
}

static int
render(struct remind *r, const struct store_subscriber *sub,
       enum notify_kind kind, const char *msg_id, struct buf *out)
{
    char due[ISO8601_MAX], now[ISO8601_MAX];
    json_t *doc = NULL, *data;
    char *text = NULL;
    size_t len = 0;
    int rc;

    time_iso8601(r->due_ms, due);
    time_iso8601(r->now_ms, now);
    if (kind == NOTIFY_EMAIL) {
        struct notify_email m;
        struct buf subject, html;
        char mid[128];

        buf_init(&subject, 1024);
        buf_init(&html, 2 * REMIND_TEXT_MAX + 256);
        buf_printf(&subject, "[%s] Update overdue: %s", r->h->conf.page.name,
                   r->inc_name);
        buf_appends(&html, "<!DOCTYPE html>\n<html><head><meta "
                           "charset=\"utf-8\"></head><body><p>");
        notify_html_escape(r->text, &html);
        buf_appends(&html, "</p></body></html>\n");
        snprintf(mid, sizeof(mid), "<%s@pharos.invalid>", msg_id);
        memset(&m, 0, sizeof(m));
        m.from = r->h->conf.notify.smtp_from;
        m.to = sub->address;
        m.subject = subject.data;
        m.text = r->text;
        m.html = html.data;
        m.message_id = mid;
        m.date_ms = r->now_ms;
        rc = m.from != NULL && subject.data != NULL && html.data != NULL
                 ? notify_email_format(&m, out)
                 : PH_EINVAL;
        buf_free(&subject);
        buf_free(&html);
        return rc;
    }
    doc = json_object();
    if (kind == NOTIFY_SLACK) {
        json_object_set_new(doc, "text", json_string(r->text));
    } else {
        data = json_object();
        json_object_set_new(data, "incident_id", json_string(r->inc_id));
        json_object_set_new(data, "name", json_string(r->inc_name));
        json_object_set_new(data, "status",
                            json_string(inc_status_name(r->status)));
        json_object_set_new(data, "update_due_at", json_string(due));
        json_object_set_new(data, "page_id",
                            json_string(r->h->conf.page.id));
        json_object_set_new(data, "message", json_string(r->text));
        json_object_set_new(doc, "type",
                            json_string("incident.update_overdue"));
        json_object_set_new(doc, "timestamp", json_string(now));
        json_object_set_new(doc, "data", data);
    }
    rc = ph_json_dump(doc, 0, NOTIFY_PAYLOAD_MAX, &text, &len);
    if (rc == 0) {
        rc = buf_append(out, text, len);
    }
    ph_free(text);
    return rc;
}

static int
remind_one(const struct store_subscriber *sub, void *arg)
{
    struct remind *r = arg;
    struct store_outbox_new m;
    char msg_id[40], idem[160];
    struct buf payload;
    int kind = notify_kind_parse(sub->kind);
    int rc;

    if (kind < 0 ||
        (kind == NOTIFY_EMAIL && r->h->conf.notify.smtp_url == NULL)) {
        return 0;
    }
    memcpy(msg_id, "msg_", 4);
    if (token_random_id(msg_id + 4, 25) != 0) {
        r->error = PH_EIO;
        return 0;
    }
    buf_init(&payload, NOTIFY_PAYLOAD_MAX);
    rc = render(r, sub, (enum notify_kind)kind, msg_id, &payload);
    if (rc == 0) {
        snprintf(idem, sizeof(idem), "remind:%s:%lld:%s", r->inc_id,
                 (long long)r->due_ms, sub->id);
        memset(&m, 0, sizeof(m));
        m.idem_key = idem;
        m.msg_id = msg_id;
        m.subscriber_id = sub->id;
        m.event = "incident.update_overdue";
        m.payload = payload.data;
        m.now_ms = r->now_ms;
        m.due_ms = r->now_ms;
        rc = remind_add(r, &m, kind);
    }
    if (rc != 0 && r->error == 0) {
        r->error = rc;
    }
    buf_free(&payload);
    return 0;
}

/* The reminders are enqueued (or not). */
static void
on_remind_put(int result, const int *each, const char *errmsg, void *arg)
{
    struct remind *r = arg;

    if (result != 0) {
        log_warnx("incident %s: cannot remind the staff channels: %s",
                  r->inc_id, errmsg);
        remind_free(r);
        return;
    }
    for (size_t i = 0; i < r->nmsgs; i++) {
        if (each[i] == 0) { /* PH_EEXIST: this period's went out before */
            r->enqueued++;
            r->h->metrics.notify_enqueued[r->kinds[i]]++;
        }
    }
    if (r->enqueued > 0) {
        log_info("incident %s: update overdue since %s; reminded %d staff "
                 "channel(s)",
                 r->inc_id, r->last, r->enqueued);
        notify_kick(r->h);
    }
    remind_free(r);
}

/* The staff channels are read and the reminders rendered. */
static void
on_remind_subs(int result, const char *errmsg, void *arg)
{
    struct remind *r = arg;

    if (result == 0 && r->error == PH_ENOMEM) {
        result = PH_ENOMEM;
        errmsg = "out of memory";
    }
    if (result != 0) {
        log_warnx("incident %s: cannot remind the staff channels: %s",
                  r->inc_id, errmsg);
        remind_free(r);
        return;
    }
    if (r->nmsgs == 0) {
        on_remind_put(0, NULL, "", r);
        return;
    }
    if (store_outbox_put_all_async(r->h->store, r->msgs, r->nmsgs,
                                   on_remind_put, r) != 0) {
        log_warnx("incident %s: cannot remind the staff channels: out of "
                  "memory", r->inc_id);
        remind_free(r);
    }
}

int
notify_staff_remind(struct hub *h, const struct incident *inc,
                    int64_t due_ms, int64_t now_ms)
{
    struct remind *r;
    int64_t every = due_ms - (inc->nupdates > 0
                                  ? inc->updates[inc->nupdates - 1].display_ms
                                  : due_ms);

    if (h->conf.nstaff == 0) {
        return 0;
    }
    r = ph_calloc(1, sizeof(*r));
    if (r == NULL || (r->inc_name = ph_strdup(inc->name)) == NULL) {
        ph_free(r);
        return PH_ENOMEM;
    }
    time_iso8601(due_ms - every, r->last);
    snprintf(r->text, sizeof(r->text),
             "Update overdue: incident %s \"%s\" (%s) has had no update "
             "since %s (%lld min). Readers expect news every %lld min; post "
             "an update, even \"no change yet\": pharosctl incident update "
             "%s --body ...",
             inc->id, inc->name, inc_status_name(inc->status), r->last,
             (long long)((now_ms - (due_ms - every)) / 60000),
             (long long)(every / 60000), inc->id);
    r->h = h;
    snprintf(r->inc_id, sizeof(r->inc_id), "%s", inc->id);
    r->status = inc->status;
    r->due_ms = due_ms;
    r->now_ms = now_ms;
    /* On sqlite the reminder is enqueued when this returns; on
     * PostgreSQL later (a failure is logged then; the next period
     * reminds again, and the outbox key keeps one per period). */
    if (store_sub_list_async(h->store, "staff", remind_one, on_remind_subs,
                             r) != 0) {
        remind_free(r);
        return PH_ENOMEM;
    }
    return 0;
}
