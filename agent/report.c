#include "report.h"
#include "report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "curl_uv.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "spool.h"
#include "timefmt.h"

static void schedule_send(struct report *r, uint32_t delay_ms);
static void finish_drain(struct report *r);

static void
on_plan_timer(uv_timer_t *t)
{
    report_start_plan_fetch(t->data);
}

static char *
join(const char *base, const char *path)
{
    size_t bl = strlen(base);
    size_t pl = strlen(path);
    char *s;

    while (bl > 0 && base[bl - 1] == '/') {
        bl--;
    }
    s = ph_malloc(bl + pl + 1);
    if (s != NULL) {
        memcpy(s, base, bl);
        memcpy(s + bl, path, pl + 1);
    }
    return s;
}

/* Frees what report_new() allocated; r may be half built. */
static void
report_free(struct report *r)
{
    for (size_t i = 0; i < r->ncoll; i++) {
        if (r->plan_urls != NULL) {
            ph_free(r->plan_urls[i]);
        }
        if (r->results_urls != NULL) {
            ph_free(r->results_urls[i]);
        }
        if (r->wait_urls != NULL) {
            ph_free(r->wait_urls[i]);
        }
    }
    ph_free(r->plan_urls);
    ph_free(r->results_urls);
    ph_free(r->wait_urls);
    ph_free(r->auth_header);
    ph_free(r->q);
    ph_free(r);
}

struct report *
report_new(uv_loop_t *loop, struct curl_uv *cu, const struct report_opts *opts,
           report_plan_cb plan_cb, void *arg)
{
    struct report *r = ph_calloc(1, sizeof(*r));
    size_t alen;
    int bad = 0;

    if (r == NULL || opts->ncollectors == 0) {
        ph_free(r);
        return NULL;
    }
    r->loop = loop;
    r->cu = cu;
    r->opts = *opts;
    r->spool = opts->spool;
    r->plan_cb = plan_cb;
    r->arg = arg;
    r->ncoll = opts->ncollectors;
    r->plan_urls = ph_calloc(r->ncoll, sizeof(*r->plan_urls));
    r->results_urls = ph_calloc(r->ncoll, sizeof(*r->results_urls));
    r->wait_urls = ph_calloc(r->ncoll, sizeof(*r->wait_urls));
    bad = r->plan_urls == NULL || r->results_urls == NULL ||
          r->wait_urls == NULL;
    for (size_t i = 0; i < r->ncoll && !bad; i++) {
        r->plan_urls[i] = join(opts->collector_urls[i], "/v1/agent/plan");
        r->results_urls[i] = join(opts->collector_urls[i],
                                  "/v1/agent/results");
        r->wait_urls[i] = join(opts->collector_urls[i],
                               "/v1/agent/rechecks");
        bad = r->plan_urls[i] == NULL || r->results_urls[i] == NULL ||
              r->wait_urls[i] == NULL;
    }
    alen = strlen(opts->token) + 32;
    r->auth_header = ph_malloc(alen);
    r->qcap = 256;
    r->q = ph_calloc(r->qcap, sizeof(*r->q));
    if (bad || r->auth_header == NULL || r->q == NULL) {
        report_free(r);
        return NULL;
    }
    snprintf(r->auth_header, alen, "Authorization: Bearer %s", opts->token);
    {
        char types[CHECK_TYPES_LIST_MAX];
        check_type_list(UINT32_MAX, types, sizeof(types));
        snprintf(r->types_header, sizeof(r->types_header), "%s: %s",
                 CHECK_TYPES_HEADER, types);
    }
    uv_timer_init(loop, &r->plan_timer);
    uv_timer_init(loop, &r->send_timer);
    uv_timer_init(loop, &r->hb_timer);
    uv_timer_init(loop, &r->drain_timer);
    uv_timer_init(loop, &r->pref_timer);
    uv_timer_init(loop, &r->wait_timer);
    r->wait_timer.data = r;
    r->drain_timer.data = r;
    r->plan_timer.data = r;
    r->send_timer.data = r;
    r->hb_timer.data = r;
    r->pref_timer.data = r;
    return r;
}

/* ---- queue ---- */

static struct check_result *
q_at(struct report *r, size_t i)
{
    return &r->q[(r->qhead + i) % r->qcap];
}

static int
q_grow(struct report *r)
{
    size_t ncap = r->qcap * 2;
    struct check_result *nq;

    if (ncap > r->opts.max_queue) {
        ncap = r->opts.max_queue;
    }
    if (ncap <= r->qcap) {
        return -1;
    }
    nq = ph_calloc(ncap, sizeof(*nq));
    if (nq == NULL) {
        return -1;
    }
    for (size_t i = 0; i < r->qlen; i++) {
        nq[i] = *q_at(r, i);
    }
    ph_free(r->q);
    r->q = nq;
    r->qcap = ncap;
    r->qhead = 0;
    return 0;
}

/* Drops n results from the front of the ring. */
static void
q_pop(struct report *r, size_t n)
{
    if (n > r->qlen) {
        n = r->qlen;
    }
    r->qhead = (r->qhead + n) % r->qcap;
    r->qlen -= n;
    r->mem_first += n;
}

/* Tops the ring up from the spool with records not yet in memory. */
static void
q_refill(struct report *r)
{
    size_t room, got = 0;
    uint64_t from;

    if (r->spool == NULL) {
        return;
    }
    if (r->qlen == 0 && r->mem_first < spool_head(r->spool)) {
        r->mem_first = spool_head(r->spool);
    }
    from = r->mem_first + r->qlen;
    while (from < spool_tail(r->spool)) {
        struct check_result tmp[64];
        size_t want;

        if (r->qlen == r->qcap && q_grow(r) != 0) {
            return;
        }
        room = r->qcap - r->qlen;
        want = room < 64 ? room : 64;
        if (spool_read(r->spool, from, tmp, want, &got) != 0 || got == 0) {
            return;
        }
        for (size_t i = 0; i < got; i++) {
            *q_at(r, r->qlen) = tmp[i];
            r->qlen++;
        }
        from += got;
    }
}

/* Accounts records the spool dropped (cap reached) and forgets them. */
static void
sync_spool_drops(struct report *r)
{
    uint64_t d = spool_dropped(r->spool);

    if (d > r->spool_dropped_seen) {
        uint64_t n = d - r->spool_dropped_seen;
        r->stats.dropped += n;
        if (r->spool_dropped_seen == 0 || d / 1000 != r->spool_dropped_seen / 1000) {
            log_warnx("report: spool full, %llu oldest results dropped so "
                      "far",
                      (unsigned long long)d);
        }
        r->spool_dropped_seen = d;
    }
    while (r->qlen > 0 && r->mem_first < spool_head(r->spool)) {
        q_pop(r, 1);
    }
    if (r->qlen == 0 && r->mem_first < spool_head(r->spool)) {
        r->mem_first = spool_head(r->spool);
    }
}

/*
 * The coalescing window: batch_delay_ms on average, drawn from half to
 * one and a half of it each time (Telegraf's flush_jitter). Agents whose
 * windows started together (their batches committed and acked together,
 * a collector restart) would otherwise keep sending together, and the
 * collector would take hundreds of batches in one burst every window.
 */
static uint32_t
coalesce_ms(const struct report *r)
{
    uint32_t ms = r->opts.batch_delay_ms;

    return ms < 2 ? ms : ms / 2 + (uint32_t)(random() % ms);
}

/*
 * When to send after queueing res. A failing result, a changed one (the
 * first pass after failures: a recovery) or an extra probe's (a
 * confirmation, a re-check, a watch-started run) is news the collector
 * decides on, and re-checks of other regions wait for it: it goes at
 * once instead of after the coalescing window. Only passing results of
 * a passing check wait (uptime and response times, which nothing
 * decides on in the meantime), so the window can be long and a busy
 * agent sends few, large batches. One batch is in flight at a time, so
 * a burst of news still goes in few batches; while the link fails the
 * backoff holds.
 */
static void
schedule_push(struct report *r, const struct check_result *res)
{
    int news = !(res->kind == PROBE_SCHEDULED && res->outcome == OUTCOME_UP &&
                 !res->changed);

    if (news) {
        /* Sent right after the batch in flight, if any. */
        r->news_queued = 1;
    }
    if (!news || r->link_failing || r->closing || r->send_xfer != NULL) {
        schedule_send(r, coalesce_ms(r));
        return;
    }
    if (r->send_scheduled) {
        uv_timer_stop(&r->send_timer);
        r->send_scheduled = 0;
    }
    schedule_send(r, 0);
}

void
report_push(struct report *r, const struct check_result *res)
{
    if (r->closing) {
        return;
    }
    if (r->spool != NULL) {
        uint64_t rid;

        if (spool_append(r->spool, res, &rid) == 0) {
            sync_spool_drops(r);
            /* In memory only if contiguous with the ring and room. */
            if (rid == r->mem_first + r->qlen &&
                (r->qlen < r->qcap || q_grow(r) == 0)) {
                *q_at(r, r->qlen) = *res;
                r->qlen++;
            }
            schedule_push(r, res);
            return;
        }
        /* Not kept in memory either: the ring mirrors the spool's
         * records (a batch is acked in the spool by record ids), so a
         * result outside it would end up acking records never sent. The
         * disk is full and nothing could be freed (spool_append drops
         * the oldest segments first). */
        r->stats.dropped++;
        r->spool_unwritable++;
        if (r->spool_unwritable == 1 || r->spool_unwritable % 1000 == 0) {
            log_warnx("report: cannot write the spool (disk full?), %llu "
                      "new results dropped so far",
                      (unsigned long long)r->spool_unwritable);
        }
        return;
    }
    if (r->qlen == r->qcap && q_grow(r) != 0) {
        /* Full: drop the oldest. A batch in flight has its own copy. */
        q_pop(r, 1);
        r->stats.dropped++;
        if (r->stats.dropped == 1 || r->stats.dropped % 1000 == 0) {
            log_warnx("report: queue full (%zu results), %llu dropped so far",
                      r->qcap, (unsigned long long)r->stats.dropped);
        }
    }
    *q_at(r, r->qlen) = *res;
    r->qlen++;
    schedule_push(r, res);
}

/* ---- transfers ---- */

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;

    if (buf_append(&x->resp, ptr, n) != 0) {
        return 0; /* over the cap: abort the transfer */
    }
    return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;

    if (n > 6 && strncasecmp(ptr, "ETag:", 5) == 0) {
        const char *v = ptr + 5;
        size_t len;
        while (*v == ' ') {
            v++;
        }
        len = strcspn(v, "\r\n");
        if (len < sizeof(x->etag)) {
            memcpy(x->etag, v, len);
            x->etag[len] = '\0';
        }
    }
    return n;
}

void
report_xfer_free(struct xfer *x)
{
    if (x == NULL) {
        return;
    }
    if (x->easy != NULL) {
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->hdrs);
    buf_free(&x->resp);
    ph_free(x->body);
    ph_free(x);
}

struct xfer *
report_xfer_new(struct report *r, enum xfer_kind kind, const char *url)
{
    struct xfer *x = ph_calloc(1, sizeof(*x));
    struct curl_slist *h;

    if (x == NULL) {
        return NULL;
    }
    x->r = r;
    x->kind = kind;
    buf_init(&x->resp, RESP_MAX);
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        report_xfer_free(x);
        return NULL;
    }
    h = curl_slist_append(NULL, r->auth_header);
    if (h != NULL) {
        x->hdrs = h;
    }
    curl_easy_setopt(x->easy, CURLOPT_URL, url);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)XFER_TIMEOUT_MS);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (r->opts.ca_file != NULL) {
        curl_easy_setopt(x->easy, CURLOPT_CAINFO, r->opts.ca_file);
    }
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "pharos-agent");
    return x;
}

uint32_t
report_jitter(uint32_t ms)
{
    /* +-20 % so agents that failed together do not retry together. */
    uint32_t span = ms / 5 + 1;

    return ms - span + (uint32_t)(random() % (2 * span));
}

/* A connection error, a timeout or a 5xx: the collector did not answer,
 * another one may. Anything else (a 4xx above all) is an answer. */
static int
is_unreachable(CURLcode cc, long code)
{
    return cc != CURLE_OK || code >= 500;
}

static void on_pref_timer(uv_timer_t *t);

/* Arms the probe of the preferred collector: collector_retry_ms plus up
 * to as much again, so agents that failed over together come back
 * spread out. */
static void
arm_pref_timer(struct report *r)
{
    uint32_t base = r->opts.collector_retry_ms;

    if (r->closing || r->cur == 0) {
        return;
    }
    if (base == 0) {
        base = 30000;
    }
    uv_timer_start(&r->pref_timer, on_pref_timer,
                   base + (uint32_t)(random() % (base + 1)), 0);
}

/* Makes collector idx the current one: the next plan fetch and the next
 * batch go there. Logged at most once per SWITCH_LOG_MS. */
static void
switch_to(struct report *r, size_t idx, const char *why)
{
    int64_t now = time_mono_ms();
    size_t old = r->cur;

    if (idx == r->cur || idx >= r->ncoll) {
        return;
    }
    r->cur = idx;
    r->stats.switches++;
    if (r->switch_window_n == 0 || now - r->switch_window_ms >= SWITCH_LOG_MS) {
        r->switch_window_ms = now;
        r->switch_window_n = 0;
    }
    if (r->switch_window_n < SWITCH_LOG_MAX) {
        if (r->switches_unlogged > 0) {
            log_warnx("report: collector %s %s; now using %s (switch %llu, "
                      "%llu more not logged)",
                      r->opts.collector_urls[old], why,
                      r->opts.collector_urls[idx],
                      (unsigned long long)r->stats.switches,
                      (unsigned long long)r->switches_unlogged);
        } else {
            log_warnx("report: collector %s %s; now using %s (switch %llu)",
                      r->opts.collector_urls[old], why,
                      r->opts.collector_urls[idx],
                      (unsigned long long)r->stats.switches);
        }
        r->switch_window_n++;
        r->switches_unlogged = 0;
    } else {
        r->switches_unlogged++;
    }
    if (idx == 0) {
        uv_timer_stop(&r->pref_timer);
    } else if (old == 0 || !uv_is_active((uv_handle_t *)&r->pref_timer)) {
        arm_pref_timer(r);
    }
    /* The plan follows the collector: ask the new one now (it also says
     * which seq it holds). */
    if (!r->closing && !r->draining && r->plan_xfer == NULL) {
        uv_timer_start(&r->plan_timer, on_plan_timer, 0, 0);
    }
}

/*
 * Accounts a failed transfer x and returns how long to wait before the
 * next attempt. An unreachable collector (see is_unreachable) makes the
 * next one current, tried at once until every collector failed in a row;
 * then, as with a single collector, the backoff doubles. A failure of a
 * transfer to a collector no longer current changes nothing, but its
 * retry waits for the backoff in force: the plan fetch and the send share
 * the round, and when one of them ends it, the other's failure at the
 * collector it had left must not start the next round at once (a send
 * and a plan fetch failing in turn went round three collectors about
 * 4,000 times a second during a takeover).
 */
static uint32_t
link_failed(struct report *r, const struct xfer *x, int unreachable,
            const char *what, const char *detail)
{
    r->stats.failures++;
    if (x->coll != r->cur) {
        return r->backoff_ms != 0 ? report_jitter(r->backoff_ms) : 0;
    }
    if (unreachable && r->ncoll > 1) {
        switch_to(r, (r->cur + 1) % r->ncoll, "does not answer");
        if (++r->round_fails < r->ncoll) {
            return 0;
        }
        r->round_fails = 0;
    }
    r->backoff_ms = r->backoff_ms == 0 ? BACKOFF_MIN_MS : r->backoff_ms * 2;
    if (r->backoff_ms > BACKOFF_MAX_MS) {
        r->backoff_ms = BACKOFF_MAX_MS;
    }
    if (!r->link_failing || r->stats.failures % 20 == 0) {
        log_warnx("report: %s failed: %s%s (retrying in %u ms)", what, detail,
                  r->ncoll > 1 ? " on every collector" : "", r->backoff_ms);
    }
    r->link_failing = 1;
    return report_jitter(r->backoff_ms);
}

static void
link_ok(struct report *r)
{
    if (r->link_failing) {
        log_info("report: collector %s reachable again",
                 r->opts.collector_urls[r->cur]);
    }
    r->link_failing = 0;
    r->backoff_ms = 0;
    r->round_fails = 0;
}

/*
 * A plan answered: the collector is up, so a failing send may retry
 * soon, but it says nothing of batches. A follower serves the plan
 * while it answers batches with 503 (no leader during a takeover, or no
 * database): were this a success of the link, the plan fetched after
 * each switch would restart the round of collectors every time, and
 * the send would go round them with no pause at all (thousands of
 * requests a second from each agent).
 */
static void
plan_ok(struct report *r)
{
    r->backoff_ms = 0;
}

static void
on_plan_done(CURL *easy, CURLcode cc, void *arg)
{
    struct xfer *x = arg;
    struct report *r = x->r;
    long code = 0;
    struct wire_plan plan;
    char err[256];
    uint32_t next = r->opts.plan_refresh_ms;

    r->plan_xfer = NULL;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if (x->probe) {
        if (cc != CURLE_OK || (code != 200 && code != 304)) {
            /* Still away: stay where we are, quietly. */
            log_debug("report: preferred collector %s: %s",
                      r->opts.collector_urls[x->coll],
                      cc != CURLE_OK ? curl_easy_strerror(cc) : "not 2xx");
            arm_pref_timer(r);
            goto out;
        }
        switch_to(r, x->coll, "is a fallback, the first answers again");
    }
    if (cc != CURLE_OK) {
        next = link_failed(r, x, 1, "plan fetch", curl_easy_strerror(cc));
    } else if (code == 304) {
        plan_ok(r);
    } else if (code == 200) {
        plan_ok(r);
        if (wire_decode_plan((const uint8_t *)x->resp.data, x->resp.len,
                             &plan, err, sizeof(err)) != 0) {
            log_warnx("report: bad plan from collector: %s", err);
        } else {
            snprintf(r->plan_etag, sizeof(r->plan_etag), "%s", x->etag);
            r->plan_version = plan.version;
            /* Continue after what the collector has; a spool may know a
             * later seq (batches sent but not acked before a crash). */
            if (r->next_seq <= plan.last_acked_seq) {
                r->next_seq = plan.last_acked_seq + 1;
            }
            if (!r->have_plan) {
                log_info("report: agent %s in region %s, plan %llx with "
                         "%zu checks",
                         plan.agent_id, plan.region,
                         (unsigned long long)plan.version, plan.nchecks);
            } else {
                log_info("report: new plan %llx with %zu checks",
                         (unsigned long long)plan.version, plan.nchecks);
            }
            r->have_plan = 1;
            r->plan_cb(&plan, r->arg);
            wire_plan_free(&plan);
            schedule_send(r, 0);
            report_wait_start(r);
        }
    } else if (code == 401) {
        log_warnx("report: collector %s rejected our token (401)",
                  r->opts.collector_urls[x->coll]);
        link_failed(r, x, 0, "plan fetch", "unauthorized");
        next = BACKOFF_MAX_MS;
    } else {
        char detail[32];
        snprintf(detail, sizeof(detail), "HTTP %ld", code);
        next = link_failed(r, x, is_unreachable(cc, code), "plan fetch",
                           detail);
    }
out:
    report_xfer_free(x);
    if (!r->closing && !r->draining) {
        uv_timer_start(&r->plan_timer, on_plan_timer, next,
                       0);
    }
}

/* A plan fetch from collector idx; probe marks the check on the
 * preferred collector while on a fallback. */
static void
start_plan_fetch_at(struct report *r, size_t idx, int probe)
{
    struct xfer *x;
    char inm[96];

    if (r->closing || r->plan_xfer != NULL) {
        return;
    }
    x = report_xfer_new(r, XFER_PLAN, r->plan_urls[idx]);
    if (x == NULL) {
        uv_timer_start(&r->plan_timer, on_plan_timer,
                       BACKOFF_MIN_MS, 0);
        return;
    }
    x->coll = idx;
    x->probe = probe;
    if (r->plan_etag[0] != '\0') {
        snprintf(inm, sizeof(inm), "If-None-Match: %s", r->plan_etag);
        x->hdrs = curl_slist_append(x->hdrs, inm);
    }
    /* The check types this agent runs: the collector leaves others out
     * of its plan (check.h, CHECK_TYPES_HEADER). */
    {
        struct curl_slist *n = curl_slist_append(x->hdrs, r->types_header);
        if (n != NULL) {
            x->hdrs = n;
        }
    }
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
    if (curl_uv_add(r->cu, x->easy, on_plan_done, x) != 0) {
        report_xfer_free(x);
        uv_timer_start(&r->plan_timer, on_plan_timer,
                       BACKOFF_MIN_MS, 0);
        return;
    }
    r->plan_xfer = x;
}

void
report_start_plan_fetch(struct report *r)
{
    start_plan_fetch_at(r, r->cur, 0);
}

static void
on_pref_timer(uv_timer_t *t)
{
    struct report *r = t->data;

    if (r->closing || r->draining || r->cur == 0) {
        return;
    }
    if (r->plan_xfer != NULL) {
        uv_timer_start(&r->pref_timer, on_pref_timer, 1000, 0);
        return;
    }
    uv_timer_stop(&r->plan_timer);
    start_plan_fetch_at(r, 0, 1);
    if (r->plan_xfer == NULL) {
        arm_pref_timer(r);
    }
}

static void
on_send_done(CURL *easy, CURLcode cc, void *arg)
{
    struct xfer *x = arg;
    struct report *r = x->r;
    long code = 0;
    uint64_t acked = 0, plan_version = 0;
    struct wire_ack ack;
    int failed = 0;
    uint32_t retry_ms = 0;

    r->send_xfer = NULL;
    memset(&ack, 0, sizeof(ack));
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if (cc != CURLE_OK) {
        failed = 1;
        retry_ms = link_failed(r, x, 1, "send", curl_easy_strerror(cc));
    } else if (code == 200 &&
               wire_decode_ack_full((const uint8_t *)x->resp.data,
                                    x->resp.len, &ack) == 0 &&
               (acked = ack.acked_seq) == x->seq) {
        plan_version = ack.plan_version;
        link_ok(r);
        /* Another region saw these checks change: probe them now. */
        r->stats.recheck_requests += ack.nrecheck;
        for (size_t i = 0; i < ack.nrecheck && r->recheck_cb != NULL &&
                           !r->closing && !r->draining;
             i++) {
            r->recheck_cb(ack.recheck[i], r->recheck_arg);
        }
        /* Committed by the collector: drop exactly these results. */
        if (r->spool != NULL) {
            spool_ack(r->spool, x->seq);
        }
        while (r->qlen > 0 && r->mem_first < x->first_rid + x->nresults) {
            q_pop(r, 1);
        }
        if (r->mem_first < x->first_rid + x->nresults) {
            r->mem_first = x->first_rid + x->nresults;
        }
        r->resend.active = 0;
        q_refill(r);
        r->stats.sent += x->nresults;
        if (x->seq + 1 > r->next_seq) {
            r->next_seq = x->seq + 1;
        }
        r->last_send_ms = time_mono_ms();
        if (plan_version != 0 && plan_version != r->plan_version &&
            r->plan_xfer == NULL) {
            uv_timer_stop(&r->plan_timer);
            report_start_plan_fetch(r);
        }
    } else if (code >= 400 && code < 500 && code != 401 && code != 429 &&
               code != 408) {
        /* The collector will never accept this batch: drop it rather
         * than block every later result behind it. */
        log_warnx("report: collector refused batch %llu (HTTP %ld): %.*s",
                  (unsigned long long)x->seq, code,
                  (int)(x->resp.len > 200 ? 200 : x->resp.len),
                  x->resp.data != NULL ? x->resp.data : "");
        if (r->spool != NULL) {
            spool_discard_inflight(r->spool);
        }
        while (r->qlen > 0 && r->mem_first < x->first_rid + x->nresults) {
            q_pop(r, 1);
        }
        r->resend.active = 0;
        q_refill(r);
        r->stats.dropped += x->nresults;
        if (x->seq + 1 > r->next_seq) {
            r->next_seq = x->seq + 1;
        }
    } else {
        char detail[32];
        snprintf(detail, sizeof(detail), "HTTP %ld", code);
        failed = 1;
        retry_ms = link_failed(r, x, is_unreachable(cc, code), "send",
                               detail);
    }
    if (failed && x->nresults > 0) {
        /* The collector may have committed it without our seeing the
         * ack: the retry, to this collector or another, carries exactly
         * these results under the same seq, so a store that has them
         * drops it instead of losing what a bigger batch would add. */
        r->resend.active = 1;
        r->resend.seq = x->seq;
        r->resend.first = x->first_rid;
        r->resend.count = (uint32_t)x->nresults;
    }
    report_xfer_free(x);
    if (r->draining) {
        if (r->qlen == 0) {
            finish_drain(r);
        } else {
            schedule_send(r, failed && retry_ms > 0 ? 200 : 0);
        }
        return;
    }
    if (failed) {
        schedule_send(r, retry_ms);
    } else if (r->qlen > 0) {
        /* What queued meanwhile: news and full batches go now, passing
         * results get their window (a busy agent would otherwise send
         * a batch per ack, and the window would mean nothing). */
        schedule_send(r, r->news_queued || r->qlen >= r->opts.max_batch
                             ? 0
                             : coalesce_ms(r));
    }
}

static void
send_batch(struct report *r)
{
    struct wire_batch b;
    struct check_result *tmp = NULL;
    struct xfer *x = NULL;
    size_t n;
    uint8_t *bytes = NULL;
    size_t len = 0;

    r->send_scheduled = 0;
    if (r->closing || r->send_xfer != NULL || r->next_seq == 0) {
        return;
    }
    uint64_t seq = r->next_seq;
    uint64_t first = r->mem_first;

    n = r->qlen < r->opts.max_batch ? r->qlen : r->opts.max_batch;
    if (r->resend.active) {
        /* After a crash: exactly the batch that was in flight, same seq,
         * so the collector drops it if it had committed it. */
        if (r->resend.first == r->mem_first && r->resend.count <= r->qlen) {
            seq = r->resend.seq;
            n = r->resend.count;
        } else {
            /* Its oldest results were dropped (a cap) meanwhile: give
             * up that seq, a store may hold part of it, and send what
             * is left under a new one. */
            r->resend.active = 0;
            if (r->next_seq <= r->resend.seq) {
                r->next_seq = r->resend.seq + 1;
            }
            seq = r->next_seq;
        }
    }
    if (n == 0 && !r->resend.active &&
        time_mono_ms() - r->last_send_ms < (int64_t)r->opts.heartbeat_ms) {
        return;
    }
    if (n == r->qlen) {
        r->news_queued = 0; /* all of it goes in this batch */
    }
    if (r->spool != NULL && !r->resend.active &&
        (spool_sync(r->spool) != 0 ||
         spool_begin_batch(r->spool, seq, first, (uint32_t)n) != 0)) {
        if (!r->spool_state_failing) {
            log_warnx("report: cannot write the spool state (disk full?); "
                      "retrying");
        }
        r->spool_state_failing = 1;
        schedule_send(r, BACKOFF_MIN_MS);
        return;
    }
    if (r->spool_state_failing) {
        log_info("report: the spool state is written again");
        r->spool_state_failing = 0;
    }
    if (n > 0) {
        tmp = ph_malloc(n * sizeof(*tmp));
        if (tmp == NULL) {
            goto retry;
        }
        for (size_t i = 0; i < n; i++) {
            tmp[i] = *q_at(r, i);
        }
    }
    memset(&b, 0, sizeof(b));
    b.seq = seq;
    b.plan_version = r->plan_version;
    b.backlog = r->qlen - n;
    b.accepts_recheck = 1;
    snprintf(b.agent_version, sizeof(b.agent_version), "%s",
             r->opts.version);
    b.results = tmp;
    b.nresults = n;
    if (wire_encode_batch(&b, &bytes, &len) != 0) {
        goto retry;
    }
    x = report_xfer_new(r, XFER_RESULTS, r->results_urls[r->cur]);
    if (x == NULL) {
        goto retry;
    }
    x->coll = r->cur;
    x->hdrs = curl_slist_append(x->hdrs,
                                "Content-Type: application/x-protobuf");
    x->hdrs = curl_slist_append(x->hdrs, "Expect:");
    x->body = bytes;
    bytes = NULL;
    x->nresults = n;
    x->first_rid = first;
    x->seq = b.seq;
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)len);
    if (curl_uv_add(r->cu, x->easy, on_send_done, x) != 0) {
        goto retry;
    }
    r->send_xfer = x;
    r->last_send_ms = time_mono_ms();
    ph_free(tmp);
    return;
retry:
    report_xfer_free(x);
    ph_free(bytes);
    ph_free(tmp);
    schedule_send(r, BACKOFF_MIN_MS);
}

static void
on_send_timer(uv_timer_t *t)
{
    send_batch(t->data);
}

static void
schedule_send(struct report *r, uint32_t delay_ms)
{
    if (r->closing || r->send_xfer != NULL || r->send_scheduled) {
        return;
    }
    r->send_scheduled = 1;
    uv_timer_start(&r->send_timer, on_send_timer, delay_ms, 0);
}

static void
on_heartbeat(uv_timer_t *t)
{
    /* send_batch() sends an empty batch only if nothing went out for
     * heartbeat_ms, so a busy agent sends no extra requests. */
    schedule_send(t->data, 0);
}

void
report_start(struct report *r)
{
    r->last_send_ms = time_mono_ms();
    if (r->spool != NULL) {
        uint64_t seq, first;
        uint32_t count;

        r->mem_first = spool_head(r->spool);
        r->spool_dropped_seen = spool_dropped(r->spool);
        q_refill(r);
        r->next_seq = spool_next_seq(r->spool);
        if (spool_inflight(r->spool, &seq, &first, &count) == 0 &&
            seq != 0) {
            r->resend.active = 1;
            r->resend.seq = seq;
            r->resend.first = first;
            r->resend.count = count;
        }
        if (r->qlen > 0) {
            log_info("report: %zu results from the spool to send first",
                     (size_t)(spool_tail(r->spool) - spool_head(r->spool)));
        }
    }
    report_start_plan_fetch(r);
    if (r->opts.heartbeat_ms > 0) {
        uv_timer_start(&r->hb_timer, on_heartbeat, r->opts.heartbeat_ms,
                       r->opts.heartbeat_ms);
    }
}

void
report_set_recheck_cb(struct report *r, report_recheck_cb cb, void *arg)
{
    r->recheck_cb = cb;
    r->recheck_arg = arg;
}

void
report_get_stats(const struct report *r, struct report_stats *ret)
{
    *ret = r->stats;
    ret->queued = r->qlen;
    ret->next_seq = r->next_seq;
    ret->collector = r->opts.collector_urls[r->cur];
    ret->collector_idx = r->cur;
}

static void
on_closed(uv_handle_t *h)
{
    struct report *r = h->data;

    if (--r->pending_closes > 0) {
        return;
    }
    if (r->closed_cb != NULL) {
        r->closed_cb(r->closed_arg);
    }
    report_free(r);
}

void
report_close(struct report *r, report_closed_cb cb, void *arg)
{
    r->closing = 1;
    r->closed_cb = cb;
    r->closed_arg = arg;
    if (r->plan_xfer != NULL) {
        curl_uv_remove(r->cu, r->plan_xfer->easy);
        report_xfer_free(r->plan_xfer);
        r->plan_xfer = NULL;
    }
    if (r->send_xfer != NULL) {
        curl_uv_remove(r->cu, r->send_xfer->easy);
        report_xfer_free(r->send_xfer);
        r->send_xfer = NULL;
    }
    if (r->wait_xfer != NULL) {
        curl_uv_remove(r->cu, r->wait_xfer->easy);
        report_xfer_free(r->wait_xfer);
        r->wait_xfer = NULL;
    }
    r->pending_closes = 6;
    uv_close((uv_handle_t *)&r->wait_timer, on_closed);
    uv_close((uv_handle_t *)&r->pref_timer, on_closed);
    uv_close((uv_handle_t *)&r->drain_timer, on_closed);
    uv_close((uv_handle_t *)&r->hb_timer, on_closed);
    uv_close((uv_handle_t *)&r->plan_timer, on_closed);
    uv_close((uv_handle_t *)&r->send_timer, on_closed);
}

static void
finish_drain(struct report *r)
{
    if (!r->draining || r->closing) {
        return;
    }
    uv_timer_stop(&r->drain_timer);
    log_info("report: stopping (%llu results sent, %zu unsent, %llu "
             "dropped); collector %s, %llu switches",
             (unsigned long long)r->stats.sent, r->qlen,
             (unsigned long long)r->stats.dropped,
             r->opts.collector_urls[r->cur],
             (unsigned long long)r->stats.switches);
    report_close(r, r->drain_cb, r->drain_arg);
}

static void
on_drain_timeout(uv_timer_t *t)
{
    finish_drain(t->data);
}

void
report_drain(struct report *r, uint32_t timeout_ms, report_closed_cb cb,
             void *arg)
{
    r->draining = 1;
    r->drain_cb = cb;
    r->drain_arg = arg;
    uv_timer_stop(&r->hb_timer);
    uv_timer_stop(&r->plan_timer);
    uv_timer_stop(&r->pref_timer);
    uv_timer_stop(&r->wait_timer);
    if (r->qlen == 0 && r->send_xfer == NULL) {
        finish_drain(r);
        return;
    }
    uv_timer_start(&r->drain_timer, on_drain_timeout, timeout_ms, 0);
    if (r->send_xfer == NULL) {
        /* Try now, whatever the backoff said. */
        uv_timer_stop(&r->send_timer);
        r->send_scheduled = 0;
        schedule_send(r, 0);
    }
}
