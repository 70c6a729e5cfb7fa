/*
 * test_feed.c - the Statuspage v2 documents: rollup blend rules, key
 * order and presence, groups, and the publish store (ETag, gzip, atomic
 * files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "feed.h"
#include "mem.h"
#include "ph_err.h"
#include "publish.h"
#include "publish_writer.h"

struct rollup_case {
    enum comp_status st[4];
    size_t n;
    const char *indicator;
    const char *description;
};

static void
test_rollup_table(void **state)
{
    static const struct rollup_case cases[] = {
        {{0}, 0, "none", "All Systems Operational"},
        {{COMP_OPERATIONAL}, 1, "none", "All Systems Operational"},
        {{COMP_MAJOR}, 1, "critical", "Major System Outage"},
        {{COMP_PARTIAL}, 1, "major", "Partial System Outage"},
        {{COMP_DEGRADED}, 1, "minor", "Partially Degraded Service"},
        {{COMP_MAINTENANCE}, 1, "maintenance", "Service Under Maintenance"},
        {{COMP_MAJOR, COMP_MAJOR}, 2, "critical", "Major System Outage"},
        {{COMP_MAJOR, COMP_OPERATIONAL}, 2, "major",
         "Partial System Outage"},
        {{COMP_PARTIAL, COMP_PARTIAL}, 2, "major", "Partial System Outage"},
        {{COMP_PARTIAL, COMP_OPERATIONAL}, 2, "minor",
         "Minor Service Outage"},
        {{COMP_DEGRADED, COMP_DEGRADED}, 2, "minor",
         "Degraded System Service"},
        {{COMP_DEGRADED, COMP_OPERATIONAL, COMP_OPERATIONAL}, 3, "minor",
         "Partially Degraded Service"},
        {{COMP_MAINTENANCE, COMP_OPERATIONAL}, 2, "maintenance",
         "Service Under Maintenance"},
        {{COMP_MAINTENANCE, COMP_DEGRADED}, 2, "minor",
         "Partially Degraded Service"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct feed_status s = feed_rollup(cases[i].st, cases[i].n);
        if (strcmp(s.indicator, cases[i].indicator) != 0 ||
            strcmp(s.description, cases[i].description) != 0) {
            fail_msg("case %zu: got %s/%s, want %s/%s", i, s.indicator,
                     s.description, cases[i].indicator,
                     cases[i].description);
        }
    }
}

/* A page with a group of two and one ungrouped component. */
static void
make_conf(struct pharos_conf *cf, struct conf_group *g,
          struct conf_component *cs)
{
    memset(cf, 0, sizeof(*cf));
    memset(g, 0, sizeof(*g));
    memset(cs, 0, 3 * sizeof(*cs));
    cf->page.id = "page1";
    cf->page.name = "Example";
    cf->page.url = "https://status.example.test";
    cf->page.time_zone = "Etc/UTC";
    g->id = "core";
    g->name = "Core";
    cf->groups = g;
    cf->ngroups = 1;
    cs[0].id = "website";
    cs[0].name = "Website";
    cs[0].showcase = 1;
    cs[1].id = "api";
    cs[1].name = "API";
    cs[1].group = "core";
    cs[1].showcase = 1;
    cs[2].id = "auth";
    cs[2].name = "Auth";
    cs[2].group = "core";
    cf->components = cs;
    cf->ncomponents = 3;
}

static void
test_summary_shape(void **state)
{
    struct pharos_conf cf;
    struct conf_group g;
    struct conf_component cs[3];
    struct feed_component_state st[3];
    struct feed_input in;
    static const char *const top[] = {"page", "components", "incidents",
                                      "scheduled_maintenances", "status"};
    static const char *const comp_keys[] = {
        "id", "name", "status", "created_at", "updated_at", "position",
        "description", "showcase", "start_date", "group_id", "page_id",
        "group", "only_show_if_degraded",
        /* Pharos extension (depends_on), ignored by Statuspage clients. */
        "affected_by"};
    char *text = NULL;
    size_t len = 0;
    json_t *doc, *comps, *grp, *api;
    json_error_t jerr;
    const char *key;
    json_t *v;
    size_t i = 0;

    (void)state;
    make_conf(&cf, &g, cs);
    memset(st, 0, sizeof(st));
    st[1].status = COMP_MAJOR;
    st[1].updated_at_ms = 1764072000000LL;
    memset(&in, 0, sizeof(in));
    in.conf = &cf;
    in.comps = st;
    in.engine = NULL;
    in.now_ms = 1764075600000LL;
    in.created_at_ms = 1764000000000LL;
    assert_int_equal(feed_summary(&in, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    doc = json_loadb(text, len, 0, &jerr);
    assert_non_null(doc);
    json_object_foreach(doc, key, v) {
        assert_true(i < 5);
        assert_string_equal(key, top[i]);
        i++;
    }
    assert_int_equal(i, 5);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "page"),
                                          "updated_at")),
        "2025-11-25T13:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(doc, "status"), "indicator")),
                        "major");
    comps = json_object_get(doc, "components");
    /* website, then the group row, then its two children. */
    assert_int_equal(json_array_size(comps), 4);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(comps, 0), "id")),
        "website");
    grp = json_array_get(comps, 1);
    assert_true(json_is_true(json_object_get(grp, "group")));
    assert_string_equal(json_string_value(json_object_get(grp, "status")),
                        "major_outage");
    assert_int_equal(json_array_size(json_object_get(grp, "components")), 2);
    api = json_array_get(comps, 2);
    assert_string_equal(json_string_value(json_object_get(api, "group_id")),
                        "core");
    assert_int_equal(json_integer_value(json_object_get(api, "position")), 1);
    assert_string_equal(json_string_value(json_object_get(api, "updated_at")),
                        "2025-11-25T12:00:00.000Z");
    /* Every component key, in the reference order, nulls included. */
    i = 0;
    json_object_foreach(json_array_get(comps, 0), key, v) {
        assert_true(i < sizeof(comp_keys) / sizeof(comp_keys[0]));
        assert_string_equal(key, comp_keys[i]);
        i++;
    }
    assert_int_equal(i, sizeof(comp_keys) / sizeof(comp_keys[0]));
    assert_true(json_is_null(
        json_object_get(json_array_get(comps, 0), "description")));
    json_decref(doc);
    ph_free(text);
}

static void
test_publish_files_etag_gzip(void **state)
{
    char dir[] = "/tmp/pharos-publish-XXXXXX";
    char path[256];
    char big[4096];
    const struct publish_doc *d;
    char etag1[48];
    struct publish *p;
    FILE *f;
    char got[64];

    (void)state;
    assert_non_null(mkdtemp(dir));
    p = publish_new(dir);
    assert_non_null(p);
    assert_int_equal(publish_set(p, "api/v2/status.json", "application/json",
                                 "{\"a\":1}", 7),
                     0);
    d = publish_get(p, "api/v2/status.json");
    assert_non_null(d);
    assert_true(d->dirty);
    snprintf(etag1, sizeof(etag1), "%s", d->etag);
    assert_int_equal(publish_flush(p), 0);
    assert_false(d->dirty);
    snprintf(path, sizeof(path), "%s/api/v2/status.json", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(got, sizeof(got), f));
    fclose(f);
    assert_string_equal(got, "{\"a\":1}");
    /* Same bytes: not dirtied, same ETag. */
    assert_int_equal(publish_set(p, "api/v2/status.json", "application/json",
                                 "{\"a\":1}", 7),
                     0);
    assert_false(d->dirty);
    /* New bytes: new ETag. */
    assert_int_equal(publish_set(p, "api/v2/status.json", "application/json",
                                 "{\"a\":2}", 7),
                     0);
    d = publish_get(p, "api/v2/status.json");
    assert_string_not_equal(d->etag, etag1);
    /* Compressible documents get a gzip form that is smaller. */
    memset(big, 'x', sizeof(big));
    assert_int_equal(publish_set(p, "big.txt", "text/plain", big,
                                 sizeof(big)),
                     0);
    d = publish_get(p, "big.txt");
    assert_non_null(d->gz);
    assert_true(d->gzlen < d->len);
    assert_int_equal(d->gz[0], 0x1f);
    assert_int_equal(d->gz[1], 0x8b);
    /* Paths that escape publish_dir are refused. */
    assert_int_equal(publish_set(p, "../evil", "text/plain", "x", 1),
                     PH_ETOOBIG);
    assert_int_equal(publish_set(p, "/abs", "text/plain", "x", 1),
                     PH_ETOOBIG);
    assert_int_equal(publish_flush(p), 0);
    publish_destroy(p);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

static void
read_text(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* publish_dir written by the writer thread: the newest content of each
 * path lands (after stop, which drains), dirty flags are handed over,
 * the reused gzip state gives each document its own complete stream, and
 * a directory that cannot be written counts failures and keeps the
 * document for the next pass. */
static void
test_publish_writer(void **state)
{
    char dir[] = "/tmp/ph_pubw_XXXXXX";
    char path[256];
    char got[64];
    char big[4096];
    struct publish *p;
    struct publish_writer *w = NULL;
    const struct publish_doc *d;
    uint64_t fails = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(rmdir(dir), 0); /* the writer creates publish_dir */
    p = publish_new(dir);
    assert_non_null(p);
    assert_int_equal(publish_writer_start(dir, &w), 0);
    assert_int_equal(publish_set(p, "api/v2/status.json", "application/json",
                                 "{\"a\":1}", 7),
                     0);
    assert_int_equal(publish_writer_queue(w, p), 0);
    d = publish_get(p, "api/v2/status.json");
    assert_false(d->dirty);
    assert_int_equal(publish_set(p, "api/v2/status.json", "application/json",
                                 "{\"a\":2}", 7),
                     0);
    memset(big, 'y', sizeof(big));
    assert_int_equal(publish_set(p, "a.txt", "text/plain", big, sizeof(big)),
                     0);
    assert_int_equal(publish_set(p, "b.txt", "text/plain", big, 1000), 0);
    assert_int_equal(publish_writer_queue(w, p), 0);
    publish_writer_stop(w);
    w = NULL;
    snprintf(path, sizeof(path), "%s/api/v2/status.json", dir);
    read_text(path, got, sizeof(got));
    assert_string_equal(got, "{\"a\":2}");
    snprintf(path, sizeof(path), "%s/b.txt", dir);
    read_text(path, got, sizeof(got));
    assert_int_equal(strlen(got), sizeof(got) - 1); /* 1000 bytes of y */
    /* Two documents gzipped one after the other with the same state:
     * each is a whole gzip stream of its own. */
    d = publish_get(p, "b.txt");
    assert_non_null(d->gz);
    assert_int_equal(d->gz[0], 0x1f);
    assert_int_equal(d->gz[1], 0x8b);
    assert_true(d->gzlen < publish_get(p, "a.txt")->gzlen + 20);
    publish_destroy(p);

    /* A publish_dir that is a file: every pass fails, is counted, and
     * the document stays queued for the next. */
    snprintf(path, sizeof(path), "%s/file", dir);
    {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fclose(f);
    }
    p = publish_new(path);
    assert_non_null(p);
    assert_int_equal(publish_writer_start(path, &w), 0);
    assert_int_equal(publish_set(p, "x.json", "application/json", "{}", 2),
                     0);
    for (int i = 0; i < 2000 && fails < 2; i++) {
        assert_int_equal(publish_writer_queue(w, p), 0);
        usleep(5000); /* the thread's pass; bounded by the loop count */
        fails += publish_writer_take_failures(w);
    }
    assert_true(fails >= 2);
    publish_writer_stop(w);
    publish_destroy(p);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

/* As many documents as PUBLISH_MAX_DOCS (a badge per component at the
 * component cap: once only 512 fitted), each found again by path, the
 * next one refused; all of them handed to the writer and written. */
static void
test_publish_many_docs(void **state)
{
    char dir[] = "/tmp/ph_pubmany_XXXXXX";
    char path[256];
    struct publish *p;
    struct publish_writer *w = NULL;
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    p = publish_new(dir);
    assert_non_null(p);
    assert_int_equal(publish_writer_start(dir, &w), 0);
    for (int i = 0; i < PUBLISH_MAX_DOCS; i++) {
        char body[32];
        int n = snprintf(body, sizeof(body), "<svg>%d</svg>", i);

        snprintf(path, sizeof(path), "badge/c%d.svg", i);
        assert_int_equal(publish_set(p, path, "image/svg+xml", body,
                                     (size_t)n),
                         0);
    }
    assert_int_equal(publish_set(p, "one-too-many.txt", "text/plain", "x", 1),
                     PH_ETOOBIG);
    for (int i = 0; i < PUBLISH_MAX_DOCS; i++) {
        const struct publish_doc *d;
        char body[32];

        snprintf(path, sizeof(path), "badge/c%d.svg", i);
        snprintf(body, sizeof(body), "<svg>%d</svg>", i);
        d = publish_get(p, path);
        assert_non_null(d);
        assert_memory_equal(d->data, body, strlen(body));
    }
    /* A document already there can still change at the cap. */
    assert_int_equal(publish_set(p, "badge/c7.svg", "image/svg+xml", "<x/>",
                                 4),
                     0);
    assert_int_equal(publish_writer_queue(w, p), 0);
    publish_writer_stop(w);
    snprintf(path, sizeof(path), "%s/badge/c%d.svg", dir,
             PUBLISH_MAX_DOCS - 1);
    assert_int_equal(stat(path, &st), 0);
    snprintf(path, sizeof(path), "%s/badge/c7.svg", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 4);
    publish_destroy(p);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollup_table),
        cmocka_unit_test(test_summary_shape),
        cmocka_unit_test(test_publish_files_etag_gzip),
        cmocka_unit_test(test_publish_writer),
        cmocka_unit_test(test_publish_many_docs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
