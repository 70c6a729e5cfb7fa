/*
 * pharosctl - command-line client of the collector's HTTP API.
 *
 *   pharosctl [--url URL] [--json] status        overall status + components
 *   pharosctl [--url URL] [--json] regions       per-check, per-region view
 *
 * The URL defaults to $PHAROS_URL or http://127.0.0.1:8080. Errors from the
 * API are shown as the server sent them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"

#define RESP_MAX (16 * 1024 * 1024)

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;

    return buf_append(b, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

/* GETs base+path; returns the parsed JSON or NULL after printing why. */
static json_t *
get_json(const char *base, const char *path)
{
    CURL *easy = curl_easy_init();
    struct buf b;
    char url[2048];
    long code = 0;
    CURLcode cc;
    json_t *doc = NULL;
    json_error_t jerr;

    buf_init(&b, RESP_MAX);
    if (easy == NULL) {
        fprintf(stderr, "pharosctl: cannot initialise libcurl\n");
        return NULL;
    }
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    cc = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(easy);
    if (cc != CURLE_OK) {
        fprintf(stderr, "pharosctl: %s: %s\n", url, curl_easy_strerror(cc));
        goto out;
    }
    doc = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
    if (code != 200) {
        const char *msg = doc ? json_string_value(
                                    json_object_get(doc, "message"))
                              : NULL;
        fprintf(stderr, "pharosctl: %s: HTTP %ld: %s\n", url, code,
                msg ? msg : (b.data ? b.data : ""));
        json_decref(doc);
        doc = NULL;
        goto out;
    }
    if (doc == NULL) {
        fprintf(stderr, "pharosctl: %s: invalid JSON: %s\n", url, jerr.text);
    }
out:
    buf_free(&b);
    return doc;
}

static const char *
jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

static int
cmd_status(const char *base, int as_json)
{
    json_t *doc = get_json(base, "/api/v2/summary.json");
    json_t *comps, *c;
    size_t i;

    if (doc == NULL) {
        return 1;
    }
    if (as_json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(doc);
        return 0;
    }
    printf("%s: %s (%s)\n", jstr(json_object_get(doc, "page"), "name"),
           jstr(json_object_get(doc, "status"), "description"),
           jstr(json_object_get(doc, "status"), "indicator"));
    comps = json_object_get(doc, "components");
    json_array_foreach(comps, i, c) {
        int is_group = json_is_true(json_object_get(c, "group"));
        int child = json_is_string(json_object_get(c, "group_id"));
        printf("%s%-30s %s%s\n", child ? "    " : "  ", jstr(c, "name"),
               jstr(c, "status"), is_group ? " (group)" : "");
    }
    json_decref(doc);
    return 0;
}

static int
cmd_regions(const char *base, int as_json)
{
    json_t *doc = get_json(base, "/api/v2/regions.json");
    json_t *checks, *c, *r;
    size_t i, j;

    if (doc == NULL) {
        return 1;
    }
    if (as_json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(doc);
        return 0;
    }
    checks = json_object_get(doc, "checks");
    json_array_foreach(checks, i, c) {
        printf("%-24s %-12s %s\n", jstr(c, "id"), jstr(c, "component_id"),
               jstr(c, "verdict"));
        json_array_foreach(json_object_get(c, "regions"), j, r) {
            json_t *lat = json_object_get(r, "latency_ms");
            printf("    %-16s %-9s %6lld ms  %s\n", jstr(r, "region"),
                   jstr(r, "state"),
                   json_is_integer(lat) ? (long long)json_integer_value(lat)
                                        : 0LL,
                   jstr(r, "error"));
        }
    }
    json_decref(doc);
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: pharosctl [--url URL] [--json] status|regions\n"
               "  --url URL   collector base URL (default $PHAROS_URL or "
               "http://127.0.0.1:8080)\n"
               "  --json      print the server's JSON\n");
}

int
main(int argc, char **argv)
{
    const char *base = getenv("PHAROS_URL");
    const char *cmd = NULL;
    int as_json = 0;
    int rc;

    if (base == NULL || base[0] == '\0') {
        base = "http://127.0.0.1:8080";
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            base = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("pharosctl %s\n", PH_VERSION);
            return 0;
        } else if (cmd == NULL && argv[i][0] != '-') {
            cmd = argv[i];
        } else {
            fprintf(stderr, "pharosctl: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (cmd == NULL) {
        usage(stderr);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(cmd, "status") == 0) {
        rc = cmd_status(base, as_json);
    } else if (strcmp(cmd, "regions") == 0) {
        rc = cmd_regions(base, as_json);
    } else {
        fprintf(stderr, "pharosctl: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
