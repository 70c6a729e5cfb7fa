/*
 * notify_staff.c - update reminders to incidents.staff (see
 * notify_staff.h).
 */
#include "notify_staff.h"

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
#include "timefmt.h"
#include "token.h"

#define REMIND_TEXT_MAX 2048

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
    if (store_staff_sync(h->store, rows, n, time_now_ms()) != 0) {
        log_warnx("notify: cannot store the staff channels: %s",
                  store_errmsg(h->store));
    }
    memset(rows, 0, (h->conf.nstaff + 1) * sizeof(*rows));
    ph_free(rows);
}

struct remind {
    struct hub *h;
    const struct incident *inc;
    int64_t due_ms;
    int64_t now_ms;
    const char *text;      /* the reminder in one paragraph */
    int enqueued;
    int error;
};

static int
render(struct remind *r, const struct store_subscriber *sub,
       enum notify_kind kind, const char *msg_id, struct buf *out)
{
    const struct incident *inc = r->inc;
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
                   inc->name);
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
        json_object_set_new(data, "incident_id", json_string(inc->id));
        json_object_set_new(data, "name", json_string(inc->name));
        json_object_set_new(data, "status",
                            json_string(inc_status_name(inc->status)));
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
        snprintf(idem, sizeof(idem), "remind:%s:%lld:%s", r->inc->id,
                 (long long)r->due_ms, sub->id);
        memset(&m, 0, sizeof(m));
        m.idem_key = idem;
        m.msg_id = msg_id;
        m.subscriber_id = sub->id;
        m.event = "incident.update_overdue";
        m.payload = payload.data;
        m.now_ms = r->now_ms;
        m.due_ms = r->now_ms;
        rc = store_outbox_put(r->h->store, &m);
        if (rc == 0) {
            r->enqueued++;
            r->h->metrics.notify_enqueued[kind]++;
        } else if (rc == PH_EEXIST) {
            rc = 0; /* this period's reminder went out before */
        }
    }
    if (rc != 0 && r->error == 0) {
        r->error = rc;
    }
    buf_free(&payload);
    return 0;
}

int
notify_staff_remind(struct hub *h, const struct incident *inc,
                    int64_t due_ms, int64_t now_ms)
{
    struct remind r;
    char text[REMIND_TEXT_MAX], last[ISO8601_MAX];
    int64_t every = due_ms - (inc->nupdates > 0
                                  ? inc->updates[inc->nupdates - 1].display_ms
                                  : due_ms);
    int rc;

    if (h->conf.nstaff == 0) {
        return 0;
    }
    time_iso8601(due_ms - every, last);
    snprintf(text, sizeof(text),
             "Update overdue: incident %s \"%s\" (%s) has had no update "
             "since %s (%lld min). Readers expect news every %lld min; post "
             "an update, even \"no change yet\": pharosctl incident update "
             "%s --body ...",
             inc->id, inc->name, inc_status_name(inc->status), last,
             (long long)((now_ms - (due_ms - every)) / 60000),
             (long long)(every / 60000), inc->id);
    memset(&r, 0, sizeof(r));
    r.h = h;
    r.inc = inc;
    r.due_ms = due_ms;
    r.now_ms = now_ms;
    r.text = text;
    if (store_tx_begin(h->store) != 0) {
        return PH_EDB;
    }
    rc = store_sub_list(h->store, "staff", remind_one, &r);
    if (rc == 0 && r.error == PH_EDB) {
        rc = PH_EDB;
    }
    if (rc != 0 || store_tx_commit(h->store) != 0) {
        store_tx_rollback(h->store);
        return rc != 0 ? rc : PH_EDB;
    }
    if (r.enqueued > 0) {
        log_info("incident %s: update overdue since %s; reminded %d staff "
                 "channel(s)",
                 inc->id, last, r.enqueued);
        notify_kick(h);
    }
    return r.enqueued;
}
