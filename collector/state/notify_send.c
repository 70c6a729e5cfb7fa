/*
 * notify_send.c - the delivery worker: due outbox rows go out through
 * libcurl multi on the collector's loop (uvcurl/curl_uv.c). The only
 * collector file that includes curl.h.
 *
 * A row is marked delivered only after the peer accepted it (2xx for
 * webhooks and Slack, 250 after DATA for email). Failures are retried
 * with exponential backoff and jitter until notify.retry_for has passed
 * since the row was created; a subscriber whose deliveries keep failing
 * is quarantined. One delivery per subscriber runs at a time, so a
 * subscriber sees its messages in order and a Slack hook is not flooded.
 *
 * The private-address guard runs at connect time (OPENSOCKETFUNCTION
 * sees the address curl resolved and is about to connect to), so a name
 * that resolves, or later re-resolves, to a private address is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "curl_uv.h"
#include "log.h"
#include "mem.h"
#include "netaddr.h"
#include "notify_int.h"
#include "ph_err.h"
#include "sign.h"
#include "store_async_notify.h"
#include "timefmt.h"

#define POLL_MS 1000
#define RESP_SNIPPET 200
#define RETRY_AFTER_MAX_S 3600

struct delivery {
    struct notify *n;
    CURL *easy;
    struct curl_slist *hdrs;
    struct curl_slist *rcpt;
    int64_t row_id;
    char sub_id[STORE_SUB_ID_MAX];
    char msg_id[64];
    char event[40];
    enum notify_kind kind;
    uint32_t attempts;
    int64_t created_ms;
    char *payload;
    size_t len;
    size_t off;               /* upload position (email) */
    char snippet[RESP_SNIPPET + 1];
    size_t snippet_len;
    long retry_after_s;       /* from a Retry-After header, or -1 */
    int allow_private;
    int blocked;              /* refused by the private-address guard */
    int settling;             /* done; its outcome is being stored */
    int permanent;            /* the endpoint refused for good */
    char err[300];            /* what went wrong, for the outcome */
    char errbuf[CURL_ERROR_SIZE];
    struct delivery *next;
};

static void on_timer(uv_timer_t *t);

static void
delivery_free(struct delivery *d)
{
    if (d == NULL) {
        return;
    }
    if (d->easy != NULL) {
        curl_easy_cleanup(d->easy);
    }
    curl_slist_free_all(d->hdrs);
    curl_slist_free_all(d->rcpt);
    ph_free(d->payload);
    ph_free(d);
}

static void
unlink_delivery(struct notify *n, struct delivery *d)
{
    for (struct delivery **pp = &n->inflight; *pp; pp = &(*pp)->next) {
        if (*pp == d) {
            *pp = d->next;
            n->ninflight--;
            return;
        }
    }
}

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct delivery *d = userdata;
    size_t n = size * nmemb;
    size_t room = RESP_SNIPPET - d->snippet_len;
    size_t take = n < room ? n : room;

    memcpy(d->snippet + d->snippet_len, ptr, take);
    d->snippet_len += take;
    d->snippet[d->snippet_len] = '\0';
    return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct delivery *d = userdata;
    size_t n = size * nmemb;

    if (n > 12 && strncasecmp(ptr, "retry-after:", 12) == 0) {
        char tmp[32];
        size_t l = n - 12 < sizeof(tmp) - 1 ? n - 12 : sizeof(tmp) - 1;
        char *end;
        long v;

        memcpy(tmp, ptr + 12, l);
        tmp[l] = '\0';
        v = strtol(tmp, &end, 10);
        /* Seconds only; an HTTP-date falls back to the backoff. */
        if (end != tmp && v >= 0) {
            d->retry_after_s = v > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : v;
        }
    }
    return n;
}

static size_t
on_read(char *buffer, size_t size, size_t nitems, void *userdata)
{
    struct delivery *d = userdata;
    size_t room = size * nitems;
    size_t left = d->len - d->off;
    size_t take = left < room ? left : room;

    memcpy(buffer, d->payload + d->off, take);
    d->off += take;
    return take;
}

static curl_socket_t
on_opensocket(void *clientp, curlsocktype purpose,
              struct curl_sockaddr *address)
{
    struct delivery *d = clientp;
    enum netaddr_class cls = netaddr_classify(&address->addr);

    if (purpose == CURLSOCKTYPE_IPCXN && !d->allow_private &&
        cls != NETADDR_PUBLIC) {
        d->blocked = 1;
        snprintf(d->errbuf, sizeof(d->errbuf),
                 "target resolves to a %s address",
                 netaddr_class_name(cls));
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC,
                  address->protocol);
}

static int
add_header(struct curl_slist **list, const char *fmt, const char *v)
{
    char line[512];
    struct curl_slist *l;

    snprintf(line, sizeof(line), fmt, v);
    l = curl_slist_append(*list, line);
    if (l == NULL) {
        return PH_ENOMEM;
    }
    *list = l;
    return 0;
}

static int
setup_http(struct notify *n, struct delivery *d, const char *url,
           const char *secret)
{
    CURL *e = d->easy;
    char ts[32], sig[SIGN_HEADER_MAX];
    int64_t now_s = time_now_ms() / 1000;

    if (add_header(&d->hdrs, "%s", "Content-Type: application/json") != 0 ||
        add_header(&d->hdrs, "User-Agent: Pharos/%s", PH_VERSION) != 0 ||
        add_header(&d->hdrs, "%s", "Expect:") != 0) {
        return PH_ENOMEM;
    }
    if (d->kind == NOTIFY_WEBHOOK) {
        snprintf(ts, sizeof(ts), "%lld", (long long)now_s);
        if (sign_webhook(secret, d->msg_id, now_s, d->payload, d->len, sig) !=
                0 ||
            add_header(&d->hdrs, "webhook-id: %s", d->msg_id) != 0 ||
            add_header(&d->hdrs, "webhook-timestamp: %s", ts) != 0 ||
            add_header(&d->hdrs, "webhook-signature: %s", sig) != 0) {
            return PH_EINVAL;
        }
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    /* The guard must see the real target, not a proxy from the
     * environment. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->hdrs);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, d->payload);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, d);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, d);
    d->allow_private = n->h->conf.notify.allow_private_targets;
    return 0;
}

/* "<a@b>" from "Name <a@b>" or "a@b". */
static void
angle_addr(const char *s, char *out, size_t len)
{
    const char *lt = strrchr(s, '<');

    if (lt != NULL) {
        snprintf(out, len, "<%.*s>", (int)strcspn(lt + 1, ">"), lt + 1);
    } else {
        snprintf(out, len, "<%s>", s);
    }
}

static int
setup_smtp(struct notify *n, struct delivery *d, const char *to)
{
    const struct conf_notify *nc = &n->h->conf.notify;
    CURL *e = d->easy;
    char from[512], rcpt[512];
    struct curl_slist *l;

    angle_addr(nc->smtp_from, from, sizeof(from));
    snprintf(rcpt, sizeof(rcpt), "<%s>", to);
    l = curl_slist_append(NULL, rcpt);
    if (l == NULL) {
        return PH_ENOMEM;
    }
    d->rcpt = l;
    curl_easy_setopt(e, CURLOPT_URL, nc->smtp_url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, d->rcpt);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, d);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)d->len);
    curl_easy_setopt(e, CURLOPT_USE_SSL,
                     nc->smtp_tls == SMTP_TLS_REQUIRED   ? (long)CURLUSESSL_ALL
                     : nc->smtp_tls == SMTP_TLS_OPTIONAL ? (long)CURLUSESSL_TRY
                                                         : (long)CURLUSESSL_NONE);
    if (nc->smtp_username != NULL) {
        curl_easy_setopt(e, CURLOPT_USERNAME, nc->smtp_username);
    }
    if (nc->smtp_password != NULL) {
        curl_easy_setopt(e, CURLOPT_PASSWORD, nc->smtp_password);
    }
    if (nc->smtp_ca_file != NULL) {
        curl_easy_setopt(e, CURLOPT_CAINFO, nc->smtp_ca_file);
    }
    if (nc->smtp_insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return 0;
}

static uint32_t
rand32(void)
{
    uint32_t r = 0;

    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) {
        r = (uint32_t)time_mono_ms() * 2654435761u;
    }
    return r;
}

static void on_done(CURL *easy, CURLcode result, void *arg);

static int
in_flight(const struct notify *n, const struct store_outbox_row *row)
{
    for (const struct delivery *d = n->inflight; d; d = d->next) {
        if (d->row_id == row->id || strcmp(d->sub_id, row->sub_id) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
start_one(const struct store_outbox_row *row, void *arg)
{
    struct notify *n = arg;
    struct hub *h = n->h;
    struct delivery *d = NULL;
    int kind = notify_kind_parse(row->kind);
    int rc;

    if (n->ninflight >= h->conf.notify.max_in_flight) {
        return 1; /* enough for now */
    }
    if (kind < 0 || in_flight(n, row)) {
        return 0;
    }
    if (kind == NOTIFY_EMAIL && h->conf.notify.smtp_url == NULL) {
        return 0; /* stays pending until email is configured again */
    }
    d = ph_calloc(1, sizeof(*d));
    if (d == NULL) {
        return 1;
    }
    d->n = n;
    d->row_id = row->id;
    d->kind = (enum notify_kind)kind;
    d->attempts = row->attempts;
    d->created_ms = row->created_ms;
    d->retry_after_s = -1;
    snprintf(d->sub_id, sizeof(d->sub_id), "%s", row->sub_id);
    snprintf(d->msg_id, sizeof(d->msg_id), "%s", row->msg_id);
    snprintf(d->event, sizeof(d->event), "%s", row->event);
    d->len = strlen(row->payload);
    d->payload = ph_malloc(d->len + 1);
    d->easy = curl_easy_init();
    if (d->payload == NULL || d->easy == NULL) {
        rc = PH_ENOMEM;
        goto out;
    }
    memcpy(d->payload, row->payload, d->len + 1);
    curl_easy_setopt(d->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(d->easy, CURLOPT_TIMEOUT_MS,
                     (long)h->conf.notify.timeout_ms);
    curl_easy_setopt(d->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(h->conf.notify.timeout_ms < 10000
                                ? h->conf.notify.timeout_ms
                                : 10000));
    curl_easy_setopt(d->easy, CURLOPT_ERRORBUFFER, d->errbuf);
    curl_easy_setopt(d->easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, d);
    rc = kind == NOTIFY_EMAIL ? setup_smtp(n, d, row->address)
                              : setup_http(n, d, row->address, row->secret);
    if (rc != 0) {
        goto out;
    }
    rc = curl_uv_add(n->cu, d->easy, on_done, d);
    if (rc != 0) {
        goto out;
    }
    d->next = n->inflight;
    n->inflight = d;
    n->ninflight++;
    d = NULL;
out:
    if (d != NULL) {
        complain(&n->send_complaint, time_mono_ms(),
                 "notify: cannot start delivery of message %lld: %s",
                 (long long)row->id, ph_strerror(rc));
        delivery_free(d);
    }
    return 0;
}

/* The due rows read (store_async_notify.h): on PostgreSQL later, on the
 * loop; a worker held or stopping meanwhile starts none of them. */
static void
on_due(int result, const char *errmsg, const struct store_outbox_row *rows,
       size_t nrows, void *arg)
{
    struct notify *n = arg;

    n->polling = 0;
    if (result < 0) {
        complain(&n->store_complaint, time_mono_ms(),
                 "notify: cannot read the outbox: %s", errmsg);
    }
    if (n->stopping || n->held) {
        return;
    }
    for (size_t i = 0; i < nrows; i++) {
        if (start_one(&rows[i], n) != 0) {
            break;
        }
    }
}

static void
poll_outbox(struct notify *n)
{
    struct hub *h = n->h;

    /* One read at a time: rows a read returns are judged against the
     * deliveries in flight (and settling) when it comes back. */
    if (n->stopping || n->held || n->polling ||
        n->ninflight >= h->conf.notify.max_in_flight) {
        return;
    }
    /* Rows of subscribers already in flight are skipped, so look a bit
     * further than the free slots. */
    n->polling = 1;
    if (store_outbox_due_async(h->store, time_now_ms(),
                               (size_t)h->conf.notify.max_in_flight * 4,
                               on_due, n) != 0) {
        n->polling = 0;
        complain(&n->store_complaint, time_mono_ms(),
                 "notify: cannot read the outbox: out of memory");
    }
}

static void
on_timer(uv_timer_t *t)
{
    poll_outbox(t->data);
}

/* Abandons every delivery in flight: the rows stay pending. One whose
 * outcome is being stored stays in the list: its callback frees it. */
static void
abandon_inflight(struct notify *n)
{
    struct delivery **pp = &n->inflight;

    while (*pp != NULL) {
        struct delivery *d = *pp;

        if (d->settling) {
            pp = &d->next;
            continue;
        }
        *pp = d->next;
        n->ninflight--;
        curl_uv_remove(n->cu, d->easy);
        delivery_free(d);
    }
}

void
notify_hold(struct hub *h, int hold)
{
    struct notify *n = h->notify;

    if (n == NULL || n->stopping || n->held == hold) {
        return;
    }
    n->held = hold;
    if (hold) {
        abandon_inflight(n);
        if (n->timer_started) {
            uv_timer_stop(&n->timer);
        }
    } else if (n->timer_started) {
        uv_timer_start(&n->timer, on_timer, 0, POLL_MS);
    }
}

void
notify_kick(struct hub *h)
{
    struct notify *n = h->notify;

    if (n == NULL || n->stopping || n->held || !n->timer_started) {
        return;
    }
    uv_timer_start(&n->timer, on_timer, 0, POLL_MS);
}

enum send_outcome { OUT_OK, OUT_RETRY, OUT_THROTTLED, OUT_PERMANENT };

/* What a finished attempt means for the row and the subscriber. count is
 * set when the failure is the subscriber's (not the relay's). */
static enum send_outcome
classify(const struct delivery *d, CURLcode result, long code, int *count)
{
    *count = 1;
    if (d->kind == NOTIFY_EMAIL) {
        if (result == CURLE_OK) {
            return OUT_OK;
        }
        /* A 5xx after RCPT or DATA is about this recipient or message;
         * anything else (relay down, 4xx, TLS) is the relay's and is
         * retried without blaming the subscriber. */
        if (code >= 500 && code < 600) {
            return OUT_PERMANENT;
        }
        *count = 0;
        return OUT_RETRY;
    }
    if (d->blocked) {
        return OUT_PERMANENT;
    }
    if (result == CURLE_OK && code >= 200 && code < 300) {
        return OUT_OK;
    }
    if (result == CURLE_OK && code == 429) {
        *count = 0;
        return OUT_THROTTLED;
    }
    if (result == CURLE_OK && code == 410) {
        return OUT_PERMANENT; /* Standard Webhooks: disable the endpoint */
    }
    if (result == CURLE_OK && d->kind == NOTIFY_SLACK &&
        (code == 400 || code == 403 || code == 404)) {
        return OUT_PERMANENT; /* revoked or broken hook (integrations.md 3) */
    }
    return OUT_RETRY;
}

/* The outcome of a delivery is stored (store_async_notify.h): only now
 * does the delivery leave the list, so that a read of due rows that
 * raced with it never starts the same message again. */
static void
on_settled(int result, int quarantined, const char *errmsg, void *arg)
{
    struct delivery *d = arg;
    struct notify *n = d->n;

    if (result != 0) {
        complain(&n->store_complaint, time_now_ms(),
                 "notify: cannot record a delivery: %s", errmsg);
    }
    if (quarantined) {
        log_warnx("notify: subscriber %s quarantined %s (%s)", d->sub_id,
                  d->permanent ? "at once: the endpoint refuses for good"
                               : "after repeated failures",
                  d->err);
    }
    unlink_delivery(n, d);
    delivery_free(d);
    /* Look for the next message soon, outside curl's callback. */
    if (!n->stopping && !n->held) {
        uv_timer_start(&n->timer, on_timer, 0, POLL_MS);
    }
}

static void
on_done(CURL *easy, CURLcode result, void *arg)
{
    struct delivery *d = arg;
    struct notify *n = d->n;
    struct hub *h = n->h;
    const struct conf_notify *nc = &h->conf.notify;
    int64_t now = time_now_ms();
    long code = 0;
    char *err = d->err;
    enum send_outcome o;
    struct store_settle st;
    int count = 1;

    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    o = classify(d, result, code, &count);
    if (d->blocked) {
        snprintf(err, sizeof(d->err), "%s", d->errbuf);
    } else if (result != CURLE_OK) {
        snprintf(err, sizeof(d->err), "%s%s%s (%ld)",
                 curl_easy_strerror(result), d->errbuf[0] ? ": " : "",
                 d->errbuf, code);
    } else {
        snprintf(err, sizeof(d->err), "HTTP %ld: %.100s", code, d->snippet);
    }
    memset(&st, 0, sizeof(st));
    st.row_id = d->row_id;
    st.now_ms = now;
    st.sub_id = d->sub_id;
    st.quarantine_after = nc->quarantine_after;
    st.span_ms = nc->retry_for_ms;
    if (o == OUT_OK) {
        st.kind = STORE_SETTLE_DELIVERED;
        st.sub_ok = 1;
        h->metrics.notify_delivered[d->kind]++;
        log_debug("notify: %s %s delivered to %s %s", d->event, d->msg_id,
                  notify_kind_name(d->kind), d->sub_id);
        complain_release(&n->send_complaint, "notify: deliveries work again");
    } else if (o == OUT_PERMANENT ||
               now - d->created_ms >= (int64_t)nc->retry_for_ms) {
        st.kind = STORE_SETTLE_GIVE_UP;
        st.err = err;
        if (d->blocked) {
            h->metrics.notify_blocked[d->kind]++;
        }
        h->metrics.notify_gave_up[d->kind]++;
        log_warnx("notify: %s %s to %s %s given up: %s", d->event, d->msg_id,
                  notify_kind_name(d->kind), d->sub_id, err);
        if (o == OUT_PERMANENT && d->kind != NOTIFY_EMAIL) {
            /* One answer that says "gone" quarantines (quarantine_after
             * 1), recorded as a failure so that the subscriber shows
             * why (failures, last_error). */
            st.quarantine_after = 1;
            d->permanent = 1;
        } else if (!count) {
            st.sub_id = NULL;
        }
    } else {
        int64_t delay;

        if (o == OUT_THROTTLED && d->retry_after_s >= 0) {
            delay = (int64_t)d->retry_after_s * 1000;
        } else {
            delay = notify_backoff_ms(d->attempts + 1, nc->retry_base_ms,
                                      nc->retry_max_ms, rand32());
        }
        st.kind = STORE_SETTLE_RETRY;
        st.due_ms = now + delay;
        st.err = err;
        st.count = o != OUT_THROTTLED;
        h->metrics.notify_failed[d->kind]++;
        complain(&n->send_complaint, now,
                 "notify: %s %s to %s %s failed (try %u), next in %lld ms: "
                 "%s",
                 d->event, d->msg_id, notify_kind_name(d->kind), d->sub_id,
                 d->attempts + 1, (long long)delay, err);
        if (!count) {
            st.sub_id = NULL;
        }
    }
    /* Done with curl; the delivery stays in the list until its outcome
     * is stored (on_settled). */
    d->settling = 1;
    if (store_outbox_settle_async(h->store, &st, on_settled, d) != 0) {
        on_settled(PH_ENOMEM, 0, "out of memory", d);
    }
}

int
notify_worker_start(struct notify *n, uv_loop_t *loop)
{
    /* Reference-counted in libcurl; the agent calls it in main. */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    n->cu = curl_uv_new(loop);
    if (n->cu == NULL) {
        return PH_ENOMEM;
    }
    uv_timer_init(loop, &n->timer);
    n->timer.data = n;
    uv_timer_start(&n->timer, on_timer, POLL_MS, POLL_MS);
    n->timer_started = 1;
    return 0;
}

static void
noop_close(uv_handle_t *h)
{
    (void)h;
}

void
notify_worker_stop(struct notify *n)
{
    if (n->stopping) {
        return;
    }
    n->stopping = 1;
    /* Deliveries in flight stay pending in the outbox: they go out
     * again after the restart (receivers dedupe on webhook-id). */
    abandon_inflight(n);
    curl_uv_close(n->cu, NULL, NULL);
    n->cu = NULL;
    if (n->timer_started) {
        uv_timer_stop(&n->timer);
        uv_close((uv_handle_t *)&n->timer, noop_close);
    }
}
