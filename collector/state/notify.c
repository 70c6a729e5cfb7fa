/*
 * notify.c - events into the outbox, and subscriptions (notify.h).
 *
 * Each event is rendered once per channel and enqueued for every
 * matching subscriber in one transaction. Links carry tokens: the
 * confirmation token is random and only its SHA-256 is stored; the
 * unsubscribe token is an HMAC of the subscriber id under a key kept in
 * the store (kv "notify_link_key"), so every message can carry it while
 * the subscribers table holds only its SHA-256.
 */
#include "notify.h"
#include "notify_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "json.h"
#include "lang.h"
#include "log.h"
#include "mem.h"
#include "notify_fmt.h"
#include "notify_msgs.h"
#include "ph_err.h"
#include "sign.h"
#include "timefmt.h"
#include "token.h"
#include "snapshot.h"
#include "store_async_notify.h"

#define WEBHOOK_UPDATES_MAX 20   /* newest updates in a webhook payload */
#define MSG_ID_LEN 24
_Static_assert(NOTIFY_MSG_ID_MAX == MSG_ID_LEN + 6, "message id size");

static const char *const kind_names[NOTIFY_KINDS] = {"email", "webhook",
                                                     "slack"};

const char *
notify_kind_name(enum notify_kind k)
{
    return (unsigned)k < NOTIFY_KINDS ? kind_names[k] : "email";
}

int
notify_kind_parse(const char *s)
{
    for (int i = 0; i < NOTIFY_KINDS; i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---- links ---- */

/* The public base URL without a trailing slash. */
static void
public_base(struct hub *h, char *out, size_t len)
{
    const char *u = h->conf.notify.public_url != NULL ? h->conf.notify.public_url
                    : h->conf.page.url != NULL        ? h->conf.page.url
                                                      : NULL;
    size_t n;

    if (u != NULL) {
        snprintf(out, len, "%s", u);
    } else {
        snprintf(out, len, "http://%s", h->conf.listen);
    }
    n = strlen(out);
    while (n > 0 && out[n - 1] == '/') {
        out[--n] = '\0';
    }
}

/* "u_" + base64url(HMAC(link key, "unsubscribe:" + id)). */
static int
unsub_token(struct notify *n, const char *id, char out[64])
{
    char msg[64];
    uint8_t mac[32];
    int len = snprintf(msg, sizeof(msg), "unsubscribe:%s", id);

    if (sign_hmac_sha256(n->link_key, strlen(n->link_key), msg, (size_t)len,
                         mac) != 0) {
        return PH_EINTERNAL;
    }
    memcpy(out, "u_", 2);
    return sign_base64url(mac, sizeof(mac), out + 2, 62) < 0 ? PH_EINTERNAL
                                                              : 0;
}

void
notify_unsubscribe_url(struct hub *h, const char *id, char *out,
                       size_t len)
{
    char base[1024], tok[64];

    public_base(h, base, sizeof(base));
    if (h->notify == NULL || unsub_token(h->notify, id, tok) != 0) {
        snprintf(out, len, "%s/", base);
        return;
    }
    snprintf(out, len, "%s/subscriptions/unsubscribe?token=%s", base, tok);
}

/* ---- lifecycle ---- */

int
notify_start(struct hub *h)
{
    struct notify *n = ph_calloc(1, sizeof(*n));
    const struct conf_notify *nc = &h->conf.notify;
    int rc;

    if (n == NULL) {
        return PH_ENOMEM;
    }
    n->h = h;
    if (store_kv_get(h->store, "notify_link_key", n->link_key,
                     sizeof(n->link_key)) != 0 ||
        strlen(n->link_key) < 32) {
        char tok[TOKEN_MAX];
        if (token_generate(tok, sizeof(tok)) != 0 ||
            store_kv_set(h->store, "notify_link_key", tok) != 0) {
            log_warnx("notify: cannot create the link key");
            ph_free(n);
            return PH_EIO;
        }
        snprintf(n->link_key, sizeof(n->link_key), "%s", tok);
    }
    ratelimit_init(&n->rl, nc->subscribe_burst, nc->subscribe_every_ms);
    rc = notify_worker_start(n, h->loop);
    if (rc != 0) {
        log_warnx("notify: cannot start the delivery worker: %s",
                  ph_strerror(rc));
        ph_free(n);
        return rc;
    }
    h->notify = n;
    log_info("notify: email %s, webhooks and Slack %s",
             nc->smtp_url != NULL ? "via the configured relay" : "off",
             nc->allow_private_targets ? "(private targets allowed)" : "on");
    return 0;
}

void
notify_stop(struct hub *h)
{
    if (h->notify != NULL) {
        notify_worker_stop(h->notify);
    }
}

void
notify_free(struct hub *h)
{
    ph_free(h->notify);
    h->notify = NULL;
}

void
notify_reload(struct hub *h)
{
    if (h->notify != NULL) {
        ratelimit_init(&h->notify->rl, h->conf.notify.subscribe_burst,
                       h->conf.notify.subscribe_every_ms);
    }
}

int64_t
notify_rate_check(struct hub *h, const char *client)
{
    if (h->notify == NULL) {
        return 0;
    }
    return ratelimit_take(&h->notify->rl, client, time_mono_ms());
}

/* ---- rendering helpers ---- */

/* 1 if the space-separated list has id, or is empty (all components). */
static int
list_has(const char *list, const char *id)
{
    size_t n = strlen(id);

    if (list[0] == '\0') {
        return 1;
    }
    for (const char *p = list; *p;) {
        size_t w = strcspn(p, " ");
        if (w == n && memcmp(p, id, n) == 0) {
            return 1;
        }
        p += w;
        while (*p == ' ') {
            p++;
        }
    }
    return 0;
}

/* The subscriber wants an incident naming ids[0..n): it names no
 * component, or one of theirs. */
static int
wants_incident(const char *list, char (*ids)[CHECK_ID_MAX], size_t n)
{
    if (list[0] == '\0' || n == 0) {
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (list_has(list, ids[i])) {
            return 1;
        }
    }
    return 0;
}

/* "msg_" + random alphanumerics: a webhook-id without dots. */
static int
new_msg_id(char out[MSG_ID_LEN + 6])
{
    memcpy(out, "msg_", 4);
    return token_random_id(out + 4, MSG_ID_LEN + 1);
}

/* The domain of the configured sender, for Message-IDs. */
static const char *
from_domain(const struct hub *h)
{
    const char *f = h->conf.notify.smtp_from;
    const char *at = f != NULL ? strrchr(f, '@') : NULL;
    static char dom[256];
    size_t n;

    if (at == NULL) {
        return "pharos.invalid";
    }
    n = strcspn(at + 1, ">");
    if (n == 0 || n >= sizeof(dom)) {
        return "pharos.invalid";
    }
    memcpy(dom, at + 1, n);
    dom[n] = '\0';
    return dom;
}

/* ---- fan-out ---- */

/*
 * One event for every matching subscriber. The event is rendered when
 * it happens; the subscribers are read, and the messages enqueued in one
 * transaction, through store_async_notify.h (on PostgreSQL on the writer
 * thread, so the evaluation never waits for the database; on sqlite at
 * once). What the messages say is copied into the fanout first
 * (fanout_copy()), since it outlives the event's call on PostgreSQL.
 */
#define FANOUT_OWN_MAX 20

struct fanout {
    struct hub *h;
    const char *event;
    const char *event_id;
    const char *coalesce_key;
    int by_incident;               /* incident events: filter by inc_ids */
    char (*inc_ids)[CHECK_ID_MAX]; /* the incident's components */
    size_t ninc_ids;
    const char *component;         /* component events: the filter */
    int webhook_only;
    struct notify_text text;       /* unsubscribe set per subscriber */
    struct notify_webhook webhook; /* the event's text is webhook_text */
    char *webhook_text;
    int64_t now_ms;
    int64_t due_ms;
    size_t enqueued;
    int error;
    /* A copy's own: its strings, the messages rendered so far (their
     * text owned) and each one's channel. */
    char *own[FANOUT_OWN_MAX];
    size_t nown;
    struct store_outbox_new *msgs;
    int *kinds;
    size_t nmsgs, capmsgs;
};

static int
render_for(struct fanout *f, const struct store_subscriber *sub,
           enum notify_kind kind, const char *unsub, const char *msg_id,
           struct buf *out)
{
    struct notify_text t = f->text;
    int rc;

    t.unsubscribe = unsub;
    if (kind == NOTIFY_WEBHOOK) {
        return notify_webhook_body(&f->webhook, unsub, out);
    }
    if (kind == NOTIFY_SLACK) {
        return notify_slack_body(&t, out);
    } else {
        struct buf subject, text, html;
        struct notify_email m;
        char mid[MSG_ID_LEN + 300];

        buf_init(&subject, 2048);
        buf_init(&text, NOTIFY_PAYLOAD_MAX / 4);
        buf_init(&html, NOTIFY_PAYLOAD_MAX / 4);
        snprintf(mid, sizeof(mid), "<%s@%s>", msg_id, from_domain(f->h));
        rc = notify_subject(&t, &subject);
        if (rc == 0) {
            rc = notify_text_plain(&t, &text);
        }
        if (rc == 0) {
            rc = notify_text_html(&t, &html);
        }
        if (rc == 0) {
            memset(&m, 0, sizeof(m));
            m.from = f->h->conf.notify.smtp_from;
            m.to = sub->address;
            m.subject = subject.data;
            m.text = text.data;
            m.html = html.data;
            m.message_id = mid;
            m.unsubscribe = unsub;
            m.date_ms = f->now_ms;
            rc = notify_email_format(&m, out);
        }
        buf_free(&subject);
        buf_free(&text);
        buf_free(&html);
        return rc;
    }
}

static void
fanout_free(struct fanout *f)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < f->nown; i++) {
        ph_free(f->own[i]);
    }
    for (size_t i = 0; i < f->nmsgs; i++) {
        ph_free((char *)(uintptr_t)f->msgs[i].idem_key);
        ph_free((char *)(uintptr_t)f->msgs[i].msg_id);
        ph_free((char *)(uintptr_t)f->msgs[i].subscriber_id);
        ph_free((char *)(uintptr_t)f->msgs[i].payload);
    }
    ph_free(f->msgs);
    ph_free(f->kinds);
    ph_free(f->inc_ids);
    ph_free(f);
}

/* Replaces *p by a copy f owns (NULL stays NULL); 0 or PH_ENOMEM. */
static int
own(struct fanout *f, const char **p, size_t len)
{
    char *d;

    if (*p == NULL) {
        return 0;
    }
    if (f->nown == FANOUT_OWN_MAX) {
        return PH_EINTERNAL;
    }
    d = ph_malloc(len + 1);
    if (d == NULL) {
        return PH_ENOMEM;
    }
    memcpy(d, *p, len);
    d[len] = '\0';
    f->own[f->nown++] = d;
    *p = d;
    return 0;
}

#define OWN(f, field) own((f), &(f)->field, strlen((f)->field ? (f)->field : ""))

/* A copy of src that borrows nothing but the hub. */
static struct fanout *
fanout_copy(const struct fanout *src)
{
    struct fanout *f = ph_calloc(1, sizeof(*f));
    int rc = 0;

    if (f == NULL) {
        return NULL;
    }
    *f = *src;
    f->nown = 0;
    f->webhook_text = NULL;
    f->inc_ids = NULL;
    f->msgs = NULL;
    f->kinds = NULL;
    f->nmsgs = f->capmsgs = 0;
    if (src->ninc_ids > 0) {
        f->inc_ids = ph_calloc(src->ninc_ids, sizeof(*f->inc_ids));
        if (f->inc_ids == NULL) {
            fanout_free(f);
            return NULL;
        }
        memcpy(f->inc_ids, src->inc_ids,
               src->ninc_ids * sizeof(*f->inc_ids));
    }
    rc |= OWN(f, event);
    rc |= OWN(f, event_id);
    rc |= OWN(f, coalesce_key);
    rc |= OWN(f, component);
    rc |= OWN(f, text.page_name);
    rc |= OWN(f, text.kind_label);
    rc |= OWN(f, text.title);
    rc |= OWN(f, text.status);
    rc |= OWN(f, text.body);
    rc |= OWN(f, text.impact);
    rc |= OWN(f, text.components);
    rc |= OWN(f, text.when);
    rc |= OWN(f, text.link);
    rc |= OWN(f, webhook.page_id);
    rc |= OWN(f, webhook.indicator);
    rc |= OWN(f, webhook.description);
    rc |= own(f, &f->webhook.event, src->webhook.event_len);
    if (rc != 0) {
        fanout_free(f);
        return NULL;
    }
    return f;
}

/* Appends one rendered message (its text copied); 0 or PH_ENOMEM. */
static int
fanout_add(struct fanout *f, const struct store_outbox_new *m, int kind)
{
    struct store_outbox_new *d;

    if (f->nmsgs == f->capmsgs) {
        size_t cap = f->capmsgs == 0 ? 8 : f->capmsgs * 2;
        struct store_outbox_new *v = ph_realloc(f->msgs, cap * sizeof(*v));
        int *k;

        if (v == NULL) {
            return PH_ENOMEM;
        }
        f->msgs = v;
        k = ph_realloc(f->kinds, cap * sizeof(*k));
        if (k == NULL) {
            return PH_ENOMEM;
        }
        f->kinds = k;
        f->capmsgs = cap;
    }
    d = &f->msgs[f->nmsgs];
    *d = *m;
    d->idem_key = ph_strdup(m->idem_key);
    d->msg_id = ph_strdup(m->msg_id);
    d->subscriber_id = ph_strdup(m->subscriber_id);
    d->payload = ph_strdup(m->payload != NULL ? m->payload : "");
    f->kinds[f->nmsgs] = kind;
    f->nmsgs++; /* counted now: fanout_free() frees a partial one */
    if (d->idem_key == NULL || d->msg_id == NULL ||
        d->subscriber_id == NULL || d->payload == NULL) {
        return PH_ENOMEM;
    }
    return 0;
}

/* Renders the event for one subscriber (a store walk's callback). */
static int
fanout_one(const struct store_subscriber *sub, void *arg)
{
    struct fanout *f = arg;
    struct hub *h = f->h;
    int kind = notify_kind_parse(sub->kind);
    char unsub[1200], msg_id[MSG_ID_LEN + 6], idem[256];
    struct store_outbox_new m;
    struct buf payload;
    int rc;

    if (kind < 0 || (f->webhook_only && kind != NOTIFY_WEBHOOK) ||
        (kind == NOTIFY_EMAIL && h->conf.notify.smtp_url == NULL)) {
        return 0;
    }
    if ((f->by_incident &&
         !wants_incident(sub->components, f->inc_ids, f->ninc_ids)) ||
        (f->component != NULL && !list_has(sub->components, f->component))) {
        return 0;
    }
    if (new_msg_id(msg_id) != 0) {
        f->error = PH_EIO;
        return 0;
    }
    notify_unsubscribe_url(h, sub->id, unsub, sizeof(unsub));
    buf_init(&payload, NOTIFY_PAYLOAD_MAX);
    rc = render_for(f, sub, (enum notify_kind)kind, unsub, msg_id, &payload);
    if (rc == 0) {
        snprintf(idem, sizeof(idem), "%s:%s", f->event_id, sub->id);
        memset(&m, 0, sizeof(m));
        m.idem_key = idem;
        m.msg_id = msg_id;
        m.subscriber_id = sub->id;
        m.event = f->event;
        m.coalesce_key = f->coalesce_key;
        m.payload = payload.data;
        m.now_ms = f->now_ms;
        m.due_ms = f->due_ms;
        rc = fanout_add(f, &m, kind);
    }
    if (rc != 0 && f->error == 0) {
        f->error = rc;
    }
    buf_free(&payload);
    return 0;
}

static void
fanout_failed(const struct fanout *f, const char *errmsg)
{
    if (f->h->notify != NULL) {
        complain(&f->h->notify->store_complaint, f->now_ms,
                 "notify: cannot enqueue %s: %s", f->event_id, errmsg);
    }
}

/* The messages are enqueued (or not): the end of a fan-out. */
static void
on_fanout_put(int result, const int *each, const char *errmsg, void *arg)
{
    struct fanout *f = arg;
    struct hub *h = f->h;

    if (result != 0) {
        fanout_failed(f, errmsg);
        fanout_free(f);
        return;
    }
    for (size_t i = 0; i < f->nmsgs; i++) {
        if (each[i] == 0) {
            f->enqueued++;
            h->metrics.notify_enqueued[f->kinds[i]]++;
        }
    }
    if (f->error != 0) {
        log_warnx("notify: %s: some messages could not be rendered: %s",
                  f->event_id, ph_strerror(f->error));
    }
    if (f->enqueued > 0) {
        log_info("notify: %s (%s) for %zu subscriber(s)", f->event,
                 f->event_id, f->enqueued);
        notify_kick(h);
    }
    fanout_free(f);
}

/* The subscribers are read and the messages rendered: enqueue them. */
static void
on_fanout_subs(int result, const char *errmsg, void *arg)
{
    struct fanout *f = arg;

    if (result == 0 && f->error == PH_ENOMEM) {
        result = PH_ENOMEM;
        errmsg = "out of memory";
    }
    if (result != 0) {
        fanout_failed(f, errmsg);
        fanout_free(f);
        return;
    }
    if (f->nmsgs == 0) {
        on_fanout_put(0, NULL, "", f);
        return;
    }
    if (store_outbox_put_all_async(f->h->store, f->msgs, f->nmsgs,
                                   on_fanout_put, f) != 0) {
        fanout_failed(f, "out of memory");
        fanout_free(f);
    }
}

/* Starts the fan-out of src (borrowed for the call). */
static void
fanout_run(const struct fanout *src)
{
    struct fanout *f = fanout_copy(src);

    if (f == NULL) {
        fanout_failed(src, "out of memory");
        return;
    }
    /* On sqlite the whole fan-out has run when this returns, and f is
     * freed: it is not touched after. */
    if (store_sub_list_async(f->h->store, "active", fanout_one,
                             on_fanout_subs, f) != 0) {
        fanout_failed(f, "out of memory");
        fanout_free(f);
    }
}

/*
 * Runs f with ev's members as the webhook event, the page as it is now
 * around them: ev (taken) gets key = obj, the JSON text (taken) the feed
 * rendered with status rc. Nothing goes out, to any channel, when the
 * event cannot be rendered (rc != 0 included).
 */
static void
fanout_event(struct hub *h, struct fanout *f, json_t *ev, const char *key,
             int rc, char *obj, size_t obj_len)
{
    struct feed_input in;
    struct feed_status st;
    json_t *v = NULL;
    size_t len = 0;

    if (rc == 0 && ev != NULL) {
        v = ph_json_parse(obj, obj_len, 0, NULL);
    }
    if (v == NULL || json_object_set_new(ev, key, v) != 0) {
        goto out;
    }
    snapshot_take(h, &in);
    st = feed_page_status(&in);
    f->webhook.page_id = h->conf.page.id;
    f->webhook.indicator = st.indicator;
    f->webhook.description = st.description;
    f->webhook.now_ms = f->now_ms;
    rc = ph_json_dump(ev, 0, NOTIFY_PAYLOAD_MAX, &f->webhook_text, &len);
    ev = NULL;
    if (rc == 0) {
        f->webhook.event = f->webhook_text;
        f->webhook.event_len = len;
        fanout_run(f);
    }
out:
    json_decref(ev);
    ph_free(obj);
    ph_free(f->webhook_text);
    f->webhook_text = NULL;
}

/* The incident status as the emails say it in lang. */
static const char *
status_title(int lang, enum inc_status s)
{
    static const enum notify_msg ids[INC_STATUS_COUNT] = {
        [INC_INVESTIGATING] = NMSG_ST_INVESTIGATING,
        [INC_IDENTIFIED] = NMSG_ST_IDENTIFIED,
        [INC_MONITORING] = NMSG_ST_MONITORING,
        [INC_RESOLVED] = NMSG_ST_RESOLVED,
        [INC_POSTMORTEM] = NMSG_ST_POSTMORTEM,
        [INC_SCHEDULED] = NMSG_ST_SCHEDULED,
        [INC_IN_PROGRESS] = NMSG_ST_IN_PROGRESS,
        [INC_VERIFYING] = NMSG_ST_VERIFYING,
        [INC_COMPLETED] = NMSG_ST_COMPLETED,
    };

    return notify_msg(lang, (unsigned)s < INC_STATUS_COUNT
                                ? ids[s]
                                : NMSG_ST_UPDATE);
}

static void
component_names(struct hub *h, const struct incident *inc,
                struct buf *out)
{
    for (size_t i = 0; i < inc->ncomponents; i++) {
        int idx = pharos_conf_component_index(&h->conf, inc->components[i]);
        buf_printf(out, "%s%s", i ? ", " : "",
                   idx >= 0 ? h->conf.components[idx].name
                            : inc->components[i]);
    }
    buf_appends(out, "");
}

static void
incident_event(struct hub *h, const struct incident *inc,
               const char *event, const char *event_id, const char *status)
{
    struct fanout f;
    struct feed_input in;
    struct buf comps;
    json_t *ev;
    char *text = NULL;
    size_t len = 0;
    char link[1100], ck[64];
    struct buf when;
    int lang = h->conf.page.lang;
    int rc;
    const struct inc_update *u =
        inc->nupdates > 0 ? &inc->updates[inc->nupdates - 1] : NULL;

    memset(&f, 0, sizeof(f));
    buf_init(&comps, 8192);
    buf_init(&when, 1024);
    f.h = h;
    f.event = event;
    f.event_id = event_id;
    snprintf(ck, sizeof(ck), "incident:%s", inc->id);
    f.coalesce_key = h->conf.notify.coalesce_ms > 0 ? ck : NULL;
    f.by_incident = 1;
    f.inc_ids = inc->components;
    f.ninc_ids = inc->ncomponents;
    f.now_ms = time_now_ms();
    f.due_ms = f.now_ms + (int64_t)h->conf.notify.coalesce_ms;
    public_base(h, link, sizeof(link) - 2);
    snprintf(link + strlen(link), 2, "/");
    component_names(h, inc, &comps);
    f.text.lang = lang;
    f.text.page_name = h->conf.page.name;
    f.text.kind_label = notify_msg(lang, inc->kind == INC_MAINTENANCE
                                             ? NMSG_KIND_MAINTENANCE
                                             : NMSG_KIND_INCIDENT);
    f.text.title = inc->name;
    f.text.status = status != NULL ? status : status_title(lang, inc->status);
    f.text.body = u != NULL ? u->body : NULL;
    f.text.impact = inc_impact_name(incident_impact(inc));
    f.text.components = comps.data;
    if (inc->kind == INC_MAINTENANCE && inc->scheduled_for_ms > 0) {
        char a[ISO8601_MAX], b[ISO8601_MAX];
        time_iso8601(inc->scheduled_for_ms, a);
        time_iso8601(inc->scheduled_until_ms, b);
        notify_msg_fill(&when, lang, NMSG_WINDOW, a,
                        inc->scheduled_until_ms > 0
                            ? b
                            : notify_msg(lang, NMSG_WINDOW_OPEN));
        f.text.when = when.data;
    }
    f.text.link = link;
    f.text.at_ms = f.now_ms;
    /* The webhook's "incident": the v1 object, newest updates only. */
    ev = json_object();
    snapshot_take(h, &in);
    rc = feed_incident_webhook(&in, inc, WEBHOOK_UPDATES_MAX, &text, &len);
    fanout_event(h, &f, ev, "incident", rc, text, len);
    buf_free(&comps);
    buf_free(&when);
}

void
notify_incident(struct hub *h, const struct incident *inc, int created)
{
    const struct inc_update *u;
    char event_id[64];
    int maint = inc->kind == INC_MAINTENANCE;

    if (h->notify == NULL || inc->draft) {
        return;
    }
    u = inc->nupdates > 0 ? &inc->updates[inc->nupdates - 1] : NULL;
    if (u != NULL && !u->deliver) {
        return;
    }
    snprintf(event_id, sizeof(event_id), "inc:%s:%s", inc->id,
             u != NULL ? u->id : "0");
    incident_event(h, inc,
                   created ? (maint ? "maintenance.scheduled"
                                    : "incident.created")
                           : (maint ? "maintenance.updated"
                                    : "incident.updated"),
                   event_id, NULL);
}

void
notify_maintenance_tick(struct hub *h, const struct incident *inc,
                        int what)
{
    char event_id[96], status[96];
    const struct inc_update *u;

    if (h->notify == NULL || inc->draft || what == 0) {
        return;
    }
    u = inc->nupdates > 0 ? &inc->updates[inc->nupdates - 1] : NULL;
    if (what & (INC_TICK_STARTED | INC_TICK_COMPLETED)) {
        snprintf(event_id, sizeof(event_id), "inc:%s:%s", inc->id,
                 u != NULL ? u->id : "0");
        incident_event(h, inc,
                       what & INC_TICK_COMPLETED ? "maintenance.completed"
                                                 : "maintenance.started",
                       event_id, NULL);
        return;
    }
    snprintf(event_id, sizeof(event_id), "inc:%s:remind:%lld", inc->id,
             (long long)inc->scheduled_for_ms);
    {
        struct buf st;
        char n[16];
        int lang = h->conf.page.lang;

        snprintf(n, sizeof(n), "%d", (int)inc->remind_prior_min);
        buf_init(&st, sizeof(status));
        notify_msg_fill(&st, lang,
                        inc->remind_prior_min == 1 ? NMSG_STARTS_IN_ONE
                                                   : NMSG_STARTS_IN_OTHER,
                        n, NULL);
        snprintf(status, sizeof(status), "%s", st.data ? st.data : "");
        buf_free(&st);
    }
    incident_event(h, inc, "maintenance.reminder", event_id, status);
}

static void
notify_component(struct hub *h, int component,
                 enum comp_status old_status, enum comp_status new_status,
                 int64_t at_ms)
{
    const struct conf_component *comp;
    struct feed_input in;
    struct fanout f;
    json_t *ev, *cu;
    char *text = NULL;
    size_t len = 0;
    char event_id[160], uid[INC_ID_LEN + 1];
    int rc;

    if (h->notify == NULL || old_status == new_status ||
        component < 0 || (size_t)component >= h->conf.ncomponents) {
        return;
    }
    comp = &h->conf.components[component];
    snprintf(event_id, sizeof(event_id), "comp:%s:%lld:%s", comp->id,
             (long long)at_ms, comp_status_name(new_status));
    if (token_random_id(uid, sizeof(uid)) != 0) {
        return;
    }
    memset(&f, 0, sizeof(f));
    f.h = h;
    f.event = "component.updated";
    f.event_id = event_id;
    f.component = comp->id;
    f.webhook_only = 1;
    f.now_ms = time_now_ms();
    f.due_ms = f.now_ms;
    f.text.title = comp->name;
    ev = json_object();
    cu = json_object();
    json_object_set_new(cu, "old_status",
                        json_string(comp_status_name(old_status)));
    json_object_set_new(cu, "new_status",
                        json_string(comp_status_name(new_status)));
    json_object_set_new(cu, "created_at", ph_json_time(at_ms));
    json_object_set_new(cu, "component_type", json_string("Component"));
    json_object_set_new(cu, "id", json_string(uid));
    json_object_set_new(cu, "component_id", json_string(comp->id));
    json_object_set_new(ev, "component_update", cu);
    snapshot_take(h, &in);
    rc = feed_component_v2(&in, component, &text, &len);
    fanout_event(h, &f, ev, "component", rc, text, len);
}

/* ---- subscriptions ---- */

int
notify_confirm_render(struct hub *h, const char *address, const char *token,
                      char msg_id[NOTIFY_MSG_ID_MAX], struct buf *msg,
                      int64_t *ret_date_ms)
{
    struct notify_email m;
    struct buf text, html;
    char base[1024], url[1200], subject[600], mid[MSG_ID_LEN + 300];
    const char *page = h->conf.page.name;
    int lang = h->conf.page.lang;
    int rc;

    if (new_msg_id(msg_id) != 0) {
        return PH_EIO;
    }
    public_base(h, base, sizeof(base));
    snprintf(url, sizeof(url), "%s/subscriptions/confirm?token=%s", base,
             token);
    snprintf(subject, sizeof(subject), "[%s] %s", page,
             notify_msg(lang, NMSG_CONFIRM_SUBJECT));
    snprintf(mid, sizeof(mid), "<%s@%s>", msg_id, from_domain(h));
    buf_init(&text, 16384);
    buf_init(&html, 16384);
    notify_msg_fill(&text, lang, NMSG_CONFIRM_ASKED, page, NULL);
    buf_printf(&text, "\n\n%s\n%s\n\n", notify_msg(lang, NMSG_CONFIRM_OPEN),
               url);
    notify_msg_fill(&text, lang, NMSG_CONFIRM_IGNORE, NULL, NULL);
    buf_appends(&text, "\n");
    buf_printf(&html, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
                      "<meta charset=\"utf-8\"></head>"
                      "<body style=\"font-family:sans-serif\">\n<p>",
               lang_code(lang));
    {
        /* The sentence around the page name, both escaped. */
        struct buf asked;
        char *mark;

        buf_init(&asked, 8192);
        notify_msg_fill(&asked, lang, NMSG_CONFIRM_ASKED, "\x01", NULL);
        mark = asked.data != NULL ? strchr(asked.data, '\x01') : NULL;
        if (mark != NULL) {
            *mark = '\0';
            notify_html_escape(asked.data, &html);
            notify_html_escape(page, &html);
            notify_html_escape(mark + 1, &html);
        }
        buf_free(&asked);
    }
    buf_appends(&html, "</p>\n<p><a href=\"");
    notify_html_escape(url, &html);
    buf_appends(&html, "\">");
    notify_html_escape(notify_msg(lang, NMSG_CONFIRM_LINK), &html);
    buf_appends(&html, "</a></p>\n<p>");
    notify_html_escape(notify_msg(lang, NMSG_CONFIRM_IGNORE), &html);
    buf_appends(&html, "</p>\n</body></html>\n");
    memset(&m, 0, sizeof(m));
    m.from = h->conf.notify.smtp_from;
    m.to = address;
    m.subject = subject;
    m.text = text.data;
    m.html = html.data;
    m.message_id = mid;
    m.date_ms = time_now_ms();
    *ret_date_ms = m.date_ms;
    rc = notify_email_format(&m, msg);
    buf_free(&text);
    buf_free(&html);
    return rc;
}

void
notify_on_transitions(void *arg, const struct engine_transition *t,
                      size_t n, int64_t now_ms)
{
    (void)now_ms;
    for (size_t i = 0; i < n; i++) {
        /* A change caused by a dependency (depends_on) is told once, by
         * the dependency's own message and the incident that lists what
         * it takes down: never one message per dependent component. */
        if (t[i].affected_by >= 0 || t[i].was_affected_by >= 0) {
            continue;
        }
        notify_component(arg, t[i].component, t[i].old_status,
                         t[i].new_status, t[i].at_ms);
    }
}

int
notify_unsub_hash(struct hub *h, const char *id, char sha[TOKEN_HASH_HEX])
{
    char tok[64];

    if (h->notify == NULL || unsub_token(h->notify, id, tok) != 0) {
        return PH_EINTERNAL;
    }
    token_hash(tok, strlen(tok), sha);
    return 0;
}
