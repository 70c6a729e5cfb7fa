/*
 * ingest_bench.c - collector ingest rate with commit-before-ack.
 *
 *   ingest_bench http URL[,URL...] TOKENFILE BATCHES BATCHSIZE CHECKS
 *       Each token in TOKENFILE (one per line) is a simulated agent that
 *       POSTs BATCHES result batches of BATCHSIZE results, one batch in
 *       flight per agent (it waits for the Ack, as a real agent does), all
 *       agents concurrently over libcurl multi. Prints results/s. With
 *       several URLs (comma separated, up to 8: collectors sharing one
 *       store) agent i posts to URL i mod n.
 *   ingest_bench sqlite DBFILE BATCHES BATCHSIZE
 *       The ceiling: the same rows inserted by a bare sqlite loop (one
 *       prepared INSERT, one transaction per batch, WAL, synchronous
 *       NORMAL) on the same disk. Prints rows/s.
 *
 * Bench code, not product code: it may include what it needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "check.h"
#include "mem.h"
#include "wire.h"

#define MAX_AGENTS 512
#define MAX_URLS 8
#define URL_MAX 512

static int
atoi_checked(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);

    if (end == s || *end != '\0' || v <= 0 || v > 100000000) {
        fprintf(stderr, "ingest_bench: bad number '%s'\n", s);
        exit(2);
    }
    return (int)v;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Results are dated from an hour ago on, inside the collector's
 * accepted window (server.max_result_age and max_result_ahead). */
static int64_t
base_ms(void)
{
    static int64_t base;
    struct timespec ts;

    if (base == 0) {
        clock_gettime(CLOCK_REALTIME, &ts);
        base = (int64_t)ts.tv_sec * 1000 - 3600000;
    }
    return base;
}

static void
fill(struct check_result *rs, size_t n, int checks, uint64_t seq)
{
    for (size_t i = 0; i < n; i++) {
        memset(&rs[i], 0, sizeof(rs[i]));
        snprintf(rs[i].check_id, sizeof(rs[i].check_id), "p%d",
                 (int)((seq * n + i) % (size_t)checks));
        rs[i].started_at_ms = base_ms() + (int64_t)(seq * n + i);
        rs[i].outcome = OUTCOME_UP;
        rs[i].latency_ms = 12;
        rs[i].timing.total_us = 12000;
        rs[i].status_code = 200;
    }
}

struct agent {
    CURL *easy;
    const char *url;
    struct curl_slist *hdrs;
    uint8_t *body;
    uint64_t seq;
    int done;
};

static size_t
sink(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

static int
start_batch(CURLM *m, struct agent *a, const char *url, size_t bs, int checks)
{
    struct check_result *rs = ph_calloc(bs, sizeof(*rs));
    struct wire_batch b;
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    fill(rs, bs, checks, a->seq);
    b.seq = a->seq;
    b.results = rs;
    b.nresults = bs;
    ph_free(a->body);
    a->body = NULL;
    if (wire_encode_batch(&b, &a->body, &len) != 0) {
        ph_free(rs);
        return -1;
    }
    ph_free(rs);
    curl_easy_setopt(a->easy, CURLOPT_URL, url);
    curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, a->body);
    curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, a->hdrs);
    curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(a->easy, CURLOPT_PRIVATE, (char *)a);
    return curl_multi_add_handle(m, a->easy) == CURLM_OK ? 0 : -1;
}

static int
bench_http(const char *url_list, const char *tokfile, int batches, size_t bs,
           int checks)
{
    static struct agent agents[MAX_AGENTS];
    static char urls[MAX_URLS][URL_MAX];
    FILE *f = NULL;
    char line[256];
    int n = 0, nurls = 0, running = 1, done = 0;
    uint64_t ok = 0, failed = 0;
    CURLM *m;
    double t0;

    for (const char *p = url_list; *p != '\0' && nurls < MAX_URLS;) {
        size_t len = strcspn(p, ",");

        if (len == 0 || len >= URL_MAX) {
            fprintf(stderr, "ingest_bench: bad URL list '%s'\n", url_list);
            return 2;
        }
        memcpy(urls[nurls], p, len);
        urls[nurls++][len] = '\0';
        p += len + (p[len] == ',');
    }
    if (nurls == 0) {
        fprintf(stderr, "ingest_bench: no URL\n");
        return 2;
    }
    f = fopen(tokfile, "r");
    if (f == NULL) {
        perror(tokfile);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    m = curl_multi_init();
    while (n < MAX_AGENTS && fgets(line, sizeof(line), f) != NULL) {
        char auth[300];
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') {
            continue;
        }
        agents[n].easy = curl_easy_init();
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", line);
        agents[n].hdrs = curl_slist_append(NULL, auth);
        agents[n].hdrs = curl_slist_append(
            agents[n].hdrs, "Content-Type: application/x-protobuf");
        agents[n].hdrs = curl_slist_append(agents[n].hdrs, "Expect:");
        agents[n].seq = 1;
        agents[n].url = urls[n % nurls];
        n++;
    }
    fclose(f);
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        start_batch(m, &agents[i], agents[i].url, bs, checks);
    }
    while (done < n && running >= 0) {
        CURLMsg *msg;
        int left;

        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            struct agent *a = NULL;
            long code = 0;

            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
                              (char **)&a);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                              &code);
            curl_multi_remove_handle(m, msg->easy_handle);
            if (msg->data.result == CURLE_OK && code == 200) {
                ok += bs;
                a->seq++;
            } else if (msg->data.result == CURLE_OK && code >= 400 &&
                       code < 500) {
                /* Refused, not failed: retrying cannot help. */
                fprintf(stderr, "ingest_bench: HTTP %ld from the collector\n",
                        code);
                return 1;
            } else {
                failed++;
            }
            if ((int)a->seq > batches) {
                a->done = 1;
                done++;
            } else {
                start_batch(m, a, a->url, bs, checks);
            }
        }
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    {
        double dt = now_s() - t0;
        printf("collector ingest: %d agents x %d batches x %zu results: "
               "%llu results acked in %.2f s = %.0f results/s (%llu failed "
               "requests)\n",
               n, batches, bs, (unsigned long long)ok, dt, (double)ok / dt,
               (unsigned long long)failed);
    }
    for (int i = 0; i < n; i++) {
        curl_slist_free_all(agents[i].hdrs);
        curl_easy_cleanup(agents[i].easy);
        ph_free(agents[i].body);
    }
    curl_multi_cleanup(m);
    curl_global_cleanup();
    return 0;
}

static int
bench_sqlite(const char *path, int batches, size_t bs)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    struct check_result *rs = ph_calloc(bs, sizeof(*rs));
    double t0, dt;

    if (sqlite3_open(path, &db) != SQLITE_OK) {
        return 1;
    }
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                     "CREATE TABLE r (agent_id TEXT, region TEXT, seq INT, "
                     "idx INT, check_id TEXT, started_at_ms INT, outcome INT,"
                     " latency_ms INT, dns_us INT, connect_us INT, tls_us "
                     "INT, first_byte_us INT, total_us INT, status_code INT,"
                     " cert_not_after INT, error TEXT, received_ms INT, "
                     "UNIQUE (agent_id, seq, idx));"
                     "CREATE INDEX r1 ON r (check_id, started_at_ms);",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO r VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
                       "?10,?11,?12,?13,?14,?15,?16,?17)",
                       -1, &st, NULL);
    t0 = now_s();
    for (int b = 1; b <= batches; b++) {
        fill(rs, bs, 5000, (uint64_t)b);
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (size_t i = 0; i < bs; i++) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, "agent", -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, "region", -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, b);
            sqlite3_bind_int64(st, 4, (sqlite3_int64)i);
            sqlite3_bind_text(st, 5, rs[i].check_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 6, rs[i].started_at_ms);
            sqlite3_bind_int(st, 7, rs[i].outcome);
            sqlite3_bind_int64(st, 8, rs[i].latency_ms);
            for (int k = 9; k <= 13; k++) {
                sqlite3_bind_int64(st, k, 1000);
            }
            sqlite3_bind_int(st, 14, 200);
            sqlite3_bind_int64(st, 15, 0);
            sqlite3_bind_text(st, 16, "", -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 17, 1);
            sqlite3_step(st);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    dt = now_s() - t0;
    printf("bare sqlite insert loop: %d x %zu rows in %.2f s = %.0f rows/s\n",
           batches, bs, dt, (double)batches * (double)bs / dt);
    sqlite3_finalize(st);
    sqlite3_close(db);
    ph_free(rs);
    return 0;
}

/*
 * The same rows in the collector's lean layout (migration 0007), the
 * reference of the performance issue: one batch row, result rows in
 * append order with integer check numbers, no secondary index, one
 * transaction per batch, no HTTP and no dedupe lookup.
 */
static int
bench_sqlite_lean(const char *path, int batches, size_t bs)
{
    sqlite3 *db;
    sqlite3_stmt *st, *bst;
    struct check_result *rs = ph_calloc(bs, sizeof(*rs));
    double t0, dt;

    if (rs == NULL || sqlite3_open(path, &db) != SQLITE_OK) {
        ph_free(rs);
        return 1;
    }
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                     "CREATE TABLE b (id INTEGER PRIMARY KEY, agent_no INT, "
                     "region TEXT, seq INT, received_ms INT, last_row INT);"
                     "CREATE INDEX b1 ON b (received_ms);"
                     "CREATE TABLE r (batch_id INT, idx INT, check_no INT, "
                     "started_at_ms INT, outcome INT, latency_ms INT, "
                     "dns_us INT, connect_us INT, tls_us INT, "
                     "first_byte_us INT, total_us INT, status_code INT, "
                     "cert_not_after INT, error TEXT);",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO r VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
                       "?10,?11,?12,?13,?14)",
                       -1, &st, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO b (agent_no, region, seq, "
                           "received_ms, last_row) VALUES (1, 'region', ?1, "
                           "1, 0)",
                       -1, &bst, NULL);
    t0 = now_s();
    for (int b = 1; b <= batches; b++) {
        sqlite3_int64 batch_id;

        fill(rs, bs, 5000, (uint64_t)b);
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        sqlite3_reset(bst);
        sqlite3_bind_int64(bst, 1, b);
        sqlite3_step(bst);
        batch_id = sqlite3_last_insert_rowid(db);
        for (size_t i = 0; i < bs; i++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, batch_id);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
            sqlite3_bind_int64(st, 3, (sqlite3_int64)((b * bs + i) % 5000));
            sqlite3_bind_int64(st, 4, rs[i].started_at_ms);
            sqlite3_bind_int(st, 5, rs[i].outcome);
            sqlite3_bind_int64(st, 6, rs[i].latency_ms);
            for (int k = 7; k <= 11; k++) {
                sqlite3_bind_int64(st, k, 1000);
            }
            sqlite3_bind_int(st, 12, 200);
            sqlite3_bind_int64(st, 13, 0);
            sqlite3_bind_text(st, 14, "", -1, SQLITE_STATIC);
            sqlite3_step(st);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    dt = now_s() - t0;
    printf("bare sqlite insert loop, lean schema: %d x %zu rows in %.2f s = "
           "%.0f rows/s\n",
           batches, bs, dt, (double)batches * (double)bs / dt);
    sqlite3_finalize(st);
    sqlite3_finalize(bst);
    sqlite3_close(db);
    ph_free(rs);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 7 && strcmp(argv[1], "http") == 0) {
        return bench_http(argv[2], argv[3], atoi_checked(argv[4]),
                          (size_t)atoi_checked(argv[5]),
                          atoi_checked(argv[6]));
    }
    if (argc == 5 && strcmp(argv[1], "sqlite-lean") == 0) {
        return bench_sqlite_lean(argv[2], atoi_checked(argv[3]),
                                 (size_t)atoi_checked(argv[4]));
    }
    if (argc == 5 && strcmp(argv[1], "sqlite") == 0) {
        return bench_sqlite(argv[2], atoi_checked(argv[3]),
                            (size_t)atoi_checked(argv[4]));
    }
    fprintf(stderr, "usage: ingest_bench http URL TOKENFILE BATCHES "
                    "BATCHSIZE CHECKS | sqlite[-lean] DBFILE BATCHES "
                    "BATCHSIZE\n");
    return 2;
}
