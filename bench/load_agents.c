/*
 * load_agents.c - many simulated agents against one collector, paced like
 * real agents (bench/load_test.py drives it).
 *
 *   load_agents -u URL -t TOKENFILE [-c CHECKS] [-i INTERVAL_MS]
 *               [-d DURATION_S] [-b BATCH_DELAY_MS] [-m MAX_BATCH]
 *               [-D DRAIN_S]
 *
 * Each token in TOKENFILE (one per line) is an agent that runs CHECKS
 * checks (ids p0..p<CHECKS-1>) every INTERVAL_MS, the checks' start times
 * spread evenly over the interval and the agents' schedules shifted
 * against each other by a fraction of one check's slot. Results wait in the agent's queue and go out as a
 * real agent sends them (agent/report.c): a batch one window after the
 * oldest queued result or the last ack, whichever is later (at once when
 * MAX_BATCH are queued), the window drawn from 0.5 to 1.5 x BATCH_DELAY_MS
 * each time, one batch in flight per agent, each with the next seq; a failed POST is retried with
 * the same seq and the same results, so a batch the collector committed
 * but did not ack in time is acked again, not stored twice.
 *
 * Results are produced for DURATION_S; then the queues drain for at most
 * DRAIN_S. A slow collector makes the queues (and so the batches) grow,
 * as it would with real agents.
 *
 * All agents share one libcurl multi handle on one thread; its connection
 * cache keeps one kept-alive connection per agent in flight (the number
 * of connections opened is printed).
 *
 * Progress goes to stderr every 5 s. The report goes to stdout, one line
 * per agent and one total line, as key=value words:
 *   agent 3 acked=3000 batches=300 last_seq=300 pending=0 inflight=0 ...
 *   total agents=200 generated=600000 acked=600000 ...
 *
 * Bench code, not product code: it may include what it needs.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "check.h"
#include "mem.h"
#include "wire.h"

#define MAX_AGENTS 4096
#define MAX_SAMPLES (1u << 22) /* ack latencies kept for percentiles */
#define RETRY_MS 1000.0
#define REQUEST_TIMEOUT_MS 30000L
#define PROGRESS_MS 5000.0

struct agent {
    int idx;
    CURL *easy;
    struct curl_slist *hdrs;
    uint8_t *body;       /* the batch in flight, kept for a retry */
    size_t body_len;
    double phase_ms;     /* this agent's schedule offset */
    uint64_t generated;  /* results produced: [0, generated) */
    uint64_t acked;      /* results acked: [0, acked) */
    uint64_t seq;        /* seq of the next (or in-flight) batch */
    size_t inflight_n;   /* results in the batch in flight, 0 = none */
    int in_flight;
    double sent_at_ms;
    double retry_at_ms;
    double acked_at_ms;  /* the last ack: a window starts no earlier */
    double window_ms;    /* this window: BATCH_DELAY_MS x [0.5, 1.5) */
    uint64_t batches;
    uint64_t failures;
    uint64_t bad_acks;
    char resp[256];
    size_t resp_len;
};

struct opts {
    const char *url;
    const char *tokfile;
    int checks;
    double interval_ms;
    double duration_ms;
    double batch_delay_ms;
    size_t max_batch;
    double drain_ms;
};

static struct agent agents[MAX_AGENTS];
static int nagents;
static float *samples;
static size_t nsamples, samples_cap;
static long connects;
static int64_t wall0_ms;
static double t0_ms;

static double
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t
wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
num_arg(const char *s, long lo, long hi)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);

    if (end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "load_agents: bad number '%s' (%ld..%ld)\n", s, lo,
                hi);
        exit(2);
    }
    return v;
}

/* Result g of an agent is check g % checks, due at phase + g * step. */
static double
due_ms(const struct opts *o, const struct agent *a, uint64_t g)
{
    return a->phase_ms + (double)g * o->interval_ms / (double)o->checks;
}

/* Results due by t (ms since start), capped at the end of the run. */
static uint64_t
generated_by(const struct opts *o, const struct agent *a, double t)
{
    double step = o->interval_ms / (double)o->checks;
    double end = t < o->duration_ms ? t : o->duration_ms - 1e-6;
    uint64_t n;

    if (end < a->phase_ms) {
        return 0;
    }
    n = (uint64_t)((end - a->phase_ms) / step) + 1;
    return n;
}

static void
keep_sample(double ms)
{
    if (nsamples == samples_cap) {
        size_t cap = samples_cap ? samples_cap * 2 : 65536;
        float *p;

        if (cap > MAX_SAMPLES) {
            return;
        }
        p = ph_realloc(samples, cap * sizeof(*samples));
        if (p == NULL) {
            return;
        }
        samples = p;
        samples_cap = cap;
    }
    samples[nsamples++] = (float)ms;
}

static int
cmp_float(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;

    return (a > b) - (a < b);
}

static double
pct(double p)
{
    size_t i;

    if (nsamples == 0) {
        return 0;
    }
    i = (size_t)(p / 100.0 * (double)(nsamples - 1) + 0.5);
    return samples[i];
}

static size_t
on_body(char *p, size_t s, size_t n, void *u)
{
    struct agent *a = u;
    size_t len = s * n;

    if (a->resp_len + len <= sizeof(a->resp)) {
        memcpy(a->resp + a->resp_len, p, len);
        a->resp_len += len;
    }
    return len;
}

/* Encodes results [acked, acked + n) with the agent's current seq; the
 * same range always encodes to the same batch, so a retry is a replay. */
static int
encode_batch(const struct opts *o, struct agent *a, size_t n,
             struct check_result *rs)
{
    struct wire_batch b;

    for (size_t i = 0; i < n; i++) {
        uint64_t g = a->acked + i;
        struct check_result *r = &rs[i];

        memset(r, 0, sizeof(*r));
        snprintf(r->check_id, sizeof(r->check_id), "p%d",
                 (int)(g % (uint64_t)o->checks));
        r->started_at_ms = wall0_ms + (int64_t)due_ms(o, a, g);
        r->outcome = OUTCOME_UP;
        r->latency_ms = 10 + (uint32_t)(g % 40);
        r->timing.connect_us = 300;
        r->timing.first_byte_us = 9000;
        r->timing.total_us = r->latency_ms * 1000;
        r->status_code = 200;
    }
    memset(&b, 0, sizeof(b));
    b.seq = a->seq;
    b.backlog = a->generated - a->acked - n;
    snprintf(b.agent_version, sizeof(b.agent_version), "load_agents");
    b.results = rs;
    b.nresults = n;
    ph_free(a->body);
    a->body = NULL;
    return wire_encode_batch(&b, &a->body, &a->body_len);
}

static int
post(CURLM *m, const struct opts *o, struct agent *a, size_t n,
     struct check_result *scratch, double now)
{
    if (n != a->inflight_n || a->body == NULL) {
        if (encode_batch(o, a, n, scratch) != 0) {
            fprintf(stderr, "load_agents: cannot encode a batch\n");
            return -1;
        }
        a->inflight_n = n;
    }
    a->resp_len = 0;
    curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, a->body);
    curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE, (long)a->body_len);
    if (curl_multi_add_handle(m, a->easy) != CURLM_OK) {
        return -1;
    }
    a->in_flight = 1;
    a->sent_at_ms = now;
    return 0;
}

static void
finished(CURLMsg *msg, double now)
{
    struct agent *a = NULL;
    long code = 0, nc = 0;
    uint64_t acked_seq = 0, plan_version = 0;

    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&a);
    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(msg->easy_handle, CURLINFO_NUM_CONNECTS, &nc);
    connects += nc;
    a->in_flight = 0;
    if (msg->data.result == CURLE_OK && code == 200 &&
        wire_decode_ack((const uint8_t *)a->resp, a->resp_len, &acked_seq,
                        &plan_version) == 0 &&
        acked_seq == a->seq) {
        keep_sample(now - a->sent_at_ms);
        a->acked_at_ms = now;
        a->acked += a->inflight_n;
        a->inflight_n = 0;
        a->seq++;
        a->batches++;
        ph_free(a->body);
        a->body = NULL;
        return;
    }
    if (msg->data.result == CURLE_OK && code == 200) {
        a->bad_acks++;
    }
    a->failures++;
    if (a->failures <= 3) {
        fprintf(stderr,
                "load_agents: agent %d batch seq %llu failed (%s, HTTP "
                "%ld); retrying it\n",
                a->idx, (unsigned long long)a->seq,
                curl_easy_strerror(msg->data.result), code);
    }
    a->retry_at_ms = now + RETRY_MS;
}

static int
load_tokens(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];

    if (f == NULL) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char auth[600];
        struct agent *a;

        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') {
            continue;
        }
        if (nagents == MAX_AGENTS) {
            fprintf(stderr, "load_agents: more than %d tokens\n",
                    MAX_AGENTS);
            fclose(f);
            return -1;
        }
        a = &agents[nagents];
        a->idx = nagents;
        a->seq = 1;
        a->easy = curl_easy_init();
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", line);
        a->hdrs = curl_slist_append(NULL, auth);
        a->hdrs = curl_slist_append(a->hdrs,
                                    "Content-Type: application/x-protobuf");
        a->hdrs = curl_slist_append(a->hdrs, "Expect:");
        nagents++;
    }
    fclose(f);
    return nagents > 0 ? 0 : -1;
}

static void
setup_easy(const struct opts *o, struct agent *a)
{
    curl_easy_setopt(a->easy, CURLOPT_URL, o->url);
    curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, a->hdrs);
    curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(a->easy, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(a->easy, CURLOPT_PRIVATE, (char *)a);
    curl_easy_setopt(a->easy, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(a->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(a->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(a->easy, CURLOPT_MAXAGE_CONN, 3600L);
}

static void
totals(uint64_t *gen, uint64_t *acked, uint64_t *inflight,
       uint64_t *batches, uint64_t *failures)
{
    *gen = *acked = *inflight = *batches = *failures = 0;
    for (int i = 0; i < nagents; i++) {
        *gen += agents[i].generated;
        *acked += agents[i].acked;
        *inflight += agents[i].in_flight ? 1 : 0;
        *batches += agents[i].batches;
        *failures += agents[i].failures;
    }
}

static int
run(const struct opts *o)
{
    struct check_result *scratch = ph_calloc(o->max_batch, sizeof(*scratch));
    CURLM *m = curl_multi_init();
    double next_progress = PROGRESS_MS, gen_end_ms = -1, last_acked_t = 0;
    uint64_t last_acked = 0;
    int result = 1;

    if (scratch == NULL || m == NULL) {
        goto out;
    }
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)nagents + 16);
    srand48(1); /* the same windows in every run */
    for (int i = 0; i < nagents; i++) {
        agents[i].window_ms = o->batch_delay_ms * (0.5 + drand48());
        /* Each agent's checks are already spread over the interval;
         * shifting the agents by a fraction of one check's slot keeps
         * them from posting in lockstep. */
        agents[i].phase_ms =
            o->interval_ms / (double)o->checks * (double)i / nagents;
        setup_easy(o, &agents[i]);
    }
    wall0_ms = wall_ms();
    t0_ms = mono_ms();
    for (;;) {
        double t = mono_ms() - t0_ms;
        int running = 0, left, busy = 0;
        CURLMsg *msg;

        for (int i = 0; i < nagents; i++) {
            struct agent *a = &agents[i];
            uint64_t pending;

            a->generated = generated_by(o, a, t);
            pending = a->generated - a->acked;
            if (pending > 0 || a->in_flight) {
                busy = 1;
            }
            if (a->in_flight || pending == 0 || t < a->retry_at_ms) {
                continue;
            }
            /* A retry resends exactly the batch that failed. */
            if (a->inflight_n > 0) {
                post(m, o, a, a->inflight_n, scratch, t);
            } else if (pending >= o->max_batch || t >= o->duration_ms ||
                       t >= fmax(due_ms(o, a, a->acked), a->acked_at_ms) +
                                a->window_ms) {
                post(m, o, a, pending < o->max_batch ? pending : o->max_batch,
                     scratch, t);
                a->window_ms = o->batch_delay_ms * (0.5 + drand48());
            }
        }
        if (t >= o->duration_ms && gen_end_ms < 0) {
            uint64_t g, ak, inf, b, f;

            gen_end_ms = t;
            totals(&g, &ak, &inf, &b, &f);
            fprintf(stderr,
                    "load_agents: generation over at %.1f s: %llu results, "
                    "%llu acked, %llu queued; draining\n",
                    t / 1e3, (unsigned long long)g, (unsigned long long)ak,
                    (unsigned long long)(g - ak));
        }
        if (gen_end_ms >= 0 && !busy) {
            result = 0;
            break;
        }
        if (t >= o->duration_ms + o->drain_ms) {
            fprintf(stderr, "load_agents: drain timeout after %.0f s; "
                            "stopping with results still queued\n",
                    o->drain_ms / 1e3);
            result = 0;
            break;
        }
        if (t >= next_progress) {
            uint64_t g, ak, inf, b, f;

            totals(&g, &ak, &inf, &b, &f);
            fprintf(stderr,
                    "load_agents: t=%5.1fs generated=%llu acked=%llu "
                    "queued=%llu in_flight=%llu batches=%llu failures=%llu "
                    "rate=%.0f results/s\n",
                    t / 1e3, (unsigned long long)g, (unsigned long long)ak,
                    (unsigned long long)(g - ak), (unsigned long long)inf,
                    (unsigned long long)b, (unsigned long long)f,
                    (double)(ak - last_acked) * 1e3 / (t - last_acked_t));
            last_acked = ak;
            last_acked_t = t;
            next_progress += PROGRESS_MS;
        }
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg == CURLMSG_DONE) {
                CURL *e = msg->easy_handle;

                finished(msg, mono_ms() - t0_ms);
                curl_multi_remove_handle(m, e);
            }
        }
        curl_multi_poll(m, NULL, 0, 5, NULL);
    }
    {
        double t = mono_ms() - t0_ms;
        uint64_t g, ak, inf, b, f, bad = 0;

        totals(&g, &ak, &inf, &b, &f);
        qsort(samples, nsamples, sizeof(*samples), cmp_float);
        for (int i = 0; i < nagents; i++) {
            const struct agent *a = &agents[i];

            bad += a->bad_acks;
            printf("agent %d acked=%llu batches=%llu last_seq=%llu "
                   "pending=%llu inflight=%llu failures=%llu\n",
                   a->idx, (unsigned long long)a->acked,
                   (unsigned long long)a->batches,
                   (unsigned long long)(a->seq - 1),
                   (unsigned long long)(a->generated - a->acked),
                   (unsigned long long)(a->in_flight ? a->inflight_n : 0),
                   (unsigned long long)a->failures);
        }
        printf("total agents=%d generated=%llu acked=%llu pending=%llu "
               "batches=%llu failures=%llu bad_acks=%llu connects=%ld "
               "gen_s=%.3f end_s=%.3f ack_p50_ms=%.2f ack_p99_ms=%.2f "
               "ack_max_ms=%.2f\n",
               nagents, (unsigned long long)g, (unsigned long long)ak,
               (unsigned long long)(g - ak), (unsigned long long)b,
               (unsigned long long)f, (unsigned long long)bad, connects,
               o->duration_ms / 1e3, t / 1e3, pct(50), pct(99),
               nsamples ? (double)samples[nsamples - 1] : 0.0);
        fflush(stdout);
    }
out:
    for (int i = 0; i < nagents; i++) {
        if (agents[i].in_flight) {
            curl_multi_remove_handle(m, agents[i].easy);
        }
        curl_slist_free_all(agents[i].hdrs);
        curl_easy_cleanup(agents[i].easy);
        ph_free(agents[i].body);
    }
    if (m != NULL) {
        curl_multi_cleanup(m);
    }
    ph_free(scratch);
    ph_free(samples);
    return result;
}

int
main(int argc, char **argv)
{
    struct opts o = {
        .checks = 500,
        .interval_ms = 10000,
        .duration_ms = 60000,
        .batch_delay_ms = 1000,
        .max_batch = 1000,
        .drain_ms = 30000,
    };
    int ch, rc;

    while ((ch = getopt(argc, argv, "u:t:c:i:d:b:m:D:")) != -1) {
        switch (ch) {
        case 'u':
            o.url = optarg;
            break;
        case 't':
            o.tokfile = optarg;
            break;
        case 'c':
            o.checks = (int)num_arg(optarg, 1, 1000000);
            break;
        case 'i':
            o.interval_ms = (double)num_arg(optarg, 1, 86400000);
            break;
        case 'd':
            o.duration_ms = (double)num_arg(optarg, 1, 86400) * 1e3;
            break;
        case 'b':
            o.batch_delay_ms = (double)num_arg(optarg, 0, 60000);
            break;
        case 'm':
            o.max_batch = (size_t)num_arg(optarg, 1, 20000);
            break;
        case 'D':
            o.drain_ms = (double)num_arg(optarg, 0, 86400) * 1e3;
            break;
        default:
            goto usage;
        }
    }
    if (o.url == NULL || o.tokfile == NULL || optind != argc) {
        goto usage;
    }
    setvbuf(stderr, NULL, _IONBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = load_tokens(o.tokfile) == 0 ? run(&o) : 1;
    curl_global_cleanup();
    return rc;
usage:
    fprintf(stderr, "usage: load_agents -u URL -t TOKENFILE [-c CHECKS] "
                    "[-i INTERVAL_MS] [-d DURATION_S] [-b BATCH_DELAY_MS] "
                    "[-m MAX_BATCH] [-D DRAIN_S]\n");
    return 2;
}
