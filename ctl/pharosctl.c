/*
 * pharosctl - command-line client of the collector's HTTP API.
 *
 *   pharosctl [--url URL] [--key KEY] [--json] COMMAND
 *
 *   status, regions, agents, agent add --region R [--id ID],
 *   agent revoke ID, component set|clear, key ..., incident ...,
 *   maintenance ..., drafts, subscribers ... (see usage() below;
 *   incidents in pharosctl_incidents.c, subscribers in
 *   pharosctl_subscribers.c)
 *
 * The URL defaults to $PHAROS_URL or http://127.0.0.1:8080; several
 * collectors may be given (--url a,b, --url a --url b, PHAROS_URL=a,b),
 * tried in order. Errors from the API are shown as the server sent them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "json.h"
#include "mem.h"
#include "ph_err.h"
#include "pharosctl.h"

#define RESP_MAX (16 * 1024 * 1024)
#define CTL_PRINT_MAX (64 * 1024 * 1024)   /* a reply printed with --json */
#define ARGS_MAX 510   /* the body of agent add and component set */

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;

    return buf_append(b, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}


/* The base that answered last: later requests of this run start there. */
static size_t base_cur;

/* One attempt of method url; the reply goes to b. Returns the libcurl
 * code and sets *ret_code to the HTTP status (0 without an answer). */
static CURLcode
perform(const struct ctl *ctl, const char *method, const char *url,
        const char *body, struct buf *b, long *ret_code)
{
    CURL *easy = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char auth[512];
    long code = 0;
    CURLcode cc;

    *ret_code = 0;
    if (easy == NULL) {
        return CURLE_FAILED_INIT;
    }
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (ctl->key != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: OAuth %s", ctl->key);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (body != NULL) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
    cc = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(easy);
    curl_slist_free_all(hdrs);
    *ret_code = code;
    return cc;
}

/* 1 when the next collector should be tried after this outcome: the
 * request did not reach this one, or it answered 5xx; a timeout or a
 * broken connection only for a GET, since a write may have been applied
 * before the answer was lost. */
static int
try_next(const char *method, CURLcode cc, long code)
{
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
        cc == CURLE_COULDNT_RESOLVE_PROXY) {
        return 1;
    }
    if (cc != CURLE_OK) {
        return strcmp(method, "GET") == 0;
    }
    return code >= 500;
}

/*
 * Sends method base+path (with body, a JSON text, or NULL) and returns
 * the parsed JSON reply, or NULL after printing the error the API gave.
 * *ret_code gets the HTTP status. A 204 returns an empty JSON object.
 * With several bases, see pharosctl.h for when the next is tried.
 */
json_t *
request_json(const struct ctl *ctl, const char *method, const char *path,
             const char *body, long *ret_code)
{
    struct buf b;
    char url[2048];
    long code = 0;
    CURLcode cc = CURLE_FAILED_INIT;
    json_t *doc = NULL;
    struct ph_json_err jerr;
    size_t n = ctl->nbases;

    buf_init(&b, RESP_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t k = (base_cur + i) % n;

        buf_reset(&b);
        snprintf(url, sizeof(url), "%s%s", ctl->bases[k], path);
        cc = perform(ctl, method, url, body, &b, &code);
        if (i + 1 < n && try_next(method, cc, code)) {
            char why[64];

            snprintf(why, sizeof(why), "HTTP %ld", code);
            fprintf(stderr, "pharosctl: %s: %s; trying %s\n", url,
                    cc != CURLE_OK ? curl_easy_strerror(cc) : why,
                    ctl->bases[(k + 1) % n]);
            continue;
        }
        base_cur = k;
        break;
    }
    *ret_code = code;
    if (cc == CURLE_FAILED_INIT) {
        fprintf(stderr, "pharosctl: cannot initialise libcurl\n");
        goto out;
    }
    if (cc != CURLE_OK) {
        fprintf(stderr, "pharosctl: %s: %s\n", url, curl_easy_strerror(cc));
        goto out;
    }
    if (code == 204) {
        doc = json_object();
        goto out;
    }
    doc = ph_json_parse(b.data, b.len, 0, &jerr);
    if (code < 200 || code > 299) {
        const char *msg = doc ? json_string_value(
                                    json_object_get(doc, "message"))
                              : NULL;
        fprintf(stderr, "pharosctl: %s %s: HTTP %ld: %s\n", method, path,
                code, msg ? msg : (b.data ? b.data : ""));
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

/* doc (borrowed) indented on stdout. */
static void
print_json(const json_t *doc)
{
    struct buf b;
    int rc;

    buf_init(&b, CTL_PRINT_MAX);
    rc = ph_json_dump_buf(doc, PH_JSON_PRETTY | PH_JSON_LF, &b);
    if (rc == 0) {
        fwrite(b.data, 1, b.len, stdout);
    } else {
        fprintf(stderr, "pharosctl: cannot print the reply: %s\n",
                ph_strerror(rc));
    }
    buf_free(&b);
}

json_t *
get_json(const struct ctl *ctl, const char *path)
{
    long code;

    return request_json(ctl, "GET", path, NULL, &code);
}

const char *
jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

static int
cmd_status(const struct ctl *ctl)
{
    int as_json = ctl->json;
    json_t *doc = get_json(ctl, "/api/v2/summary.json");
    json_t *comps, *c;
    size_t i;

    if (doc == NULL) {
        return 1;
    }
    if (as_json) {
        print_json(doc);
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
        const char *dep = jstr(c, "affected_by");

        printf("%s%-30s %s%s%s%s%s\n", child ? "    " : "  ",
               jstr(c, "name"), jstr(c, "status"),
               is_group ? " (group)" : "", dep[0] ? " (affected by " : "",
               dep, dep[0] ? ")" : "");
    }
    json_decref(doc);
    return 0;
}

static int
cmd_regions(const struct ctl *ctl)
{
    int as_json = ctl->json;
    json_t *doc = get_json(ctl, "/api/v2/regions.json");
    json_t *checks, *c, *r;
    size_t i, j;

    if (doc == NULL) {
        return 1;
    }
    if (as_json) {
        print_json(doc);
        json_decref(doc);
        return 0;
    }
    json_array_foreach(json_object_get(doc, "regions"), i, r) {
        json_t *m = json_object_get(r, "mass_failure");

        if (json_is_object(m)) {
            printf("region %s: mass failure since %s (%lld of %lld checks "
                   "failing): its results count for no status\n",
                   jstr(r, "id"), jstr(m, "since"),
                   (long long)json_integer_value(json_object_get(m, "failing")),
                   (long long)json_integer_value(json_object_get(m, "checks")));
        }
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


int
print_or_dump(const struct ctl *ctl, json_t *doc)
{
    if (ctl->json) {
        print_json(doc);
        return 1;
    }
    return 0;
}

static int
cmd_agents(const struct ctl *ctl)
{
    json_t *doc = get_json(ctl, "/v1/agents");
    json_t *a;
    size_t i;

    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("%-20s %-12s %-7s %-26s %-8s %8s %8s %s\n", "AGENT", "REGION",
               "SOURCE", "LAST CONTACT", "VERSION", "BACKLOG", "RESULTS",
               "STATE");
        json_array_foreach(doc, i, a) {
            const char *state =
                json_is_string(json_object_get(a, "revoked_at")) ? "revoked"
                : json_is_true(json_object_get(a, "stale"))      ? "stale"
                                                                  : "live";
            printf("%-20s %-12s %-7s %-26s %-8s %8lld %8lld %s\n",
                   jstr(a, "id"), jstr(a, "region"), jstr(a, "source"),
                   json_is_string(json_object_get(a, "last_contact_at"))
                       ? jstr(a, "last_contact_at")
                       : "never",
                   json_is_string(json_object_get(a, "version"))
                       ? jstr(a, "version")
                       : "-",
                   (long long)json_integer_value(json_object_get(a, "backlog")),
                   (long long)json_integer_value(json_object_get(a, "results")),
                   state);
        }
    }
    json_decref(doc);
    return 0;
}

static int
cmd_agent_add(const struct ctl *ctl, const char *id, const char *region)
{
    json_t *body = json_object();
    json_t *doc;
    char *text = NULL;
    size_t n;
    long code;

    json_object_set_new(body, "id", json_string(id));
    json_object_set_new(body, "region", json_string(region));
    if (ph_json_dump(body, 0, ARGS_MAX, &text, &n) != 0) {
        fprintf(stderr, "pharosctl: id or region too long\n");
        return 2;
    }
    doc = request_json(ctl, "POST", "/v1/agents", text, &code);
    ph_free(text);
    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("agent %s created in region %s\n", jstr(doc, "id"),
               jstr(doc, "region"));
        printf("token: %s\n", jstr(doc, "token"));
        printf("This token is shown once; only its hash is stored. Put it "
               "in the agent's token_file.\n");
    }
    json_decref(doc);
    return 0;
}

static int
cmd_agent_revoke(const struct ctl *ctl, const char *id)
{
    char path[256];
    json_t *doc;
    long code;

    snprintf(path, sizeof(path), "/v1/agents/%s", id);
    doc = request_json(ctl, "DELETE", path, NULL, &code);
    if (doc == NULL) {
        return 1;
    }
    json_decref(doc);
    if (!ctl->json) {
        printf("agent %s revoked\n", id);
    }
    return 0;
}

/* The page id, from the public feed (the management API needs it). */
int
page_id(const struct ctl *ctl, char *out, size_t len)
{
    json_t *doc = get_json(ctl, "/api/v2/status.json");
    const char *id;

    if (doc == NULL) {
        return -1;
    }
    id = jstr(json_object_get(doc, "page"), "id");
    snprintf(out, len, "%s", id);
    json_decref(doc);
    return out[0] ? 0 : -1;
}

static int
cmd_component_set(const struct ctl *ctl, const char *id, const char *status,
                  const char *until)
{
    char pid[80], path[300];
    json_t *b = json_object(), *c = json_object(), *doc;
    char *body = NULL;
    size_t n;
    long code;

    if (page_id(ctl, pid, sizeof(pid)) != 0) {
        json_decref(b);
        json_decref(c);
        return 1;
    }
    json_object_set_new(c, "status", ph_json_str(status));
    if (until != NULL) {
        json_object_set_new(c, "override_until", json_string(until));
    }
    json_object_set_new(b, "component", c);
    if (ph_json_dump(b, 0, ARGS_MAX, &body, &n) != 0) {
        fprintf(stderr, "pharosctl: arguments too long\n");
        return 2;
    }
    snprintf(path, sizeof(path), "/v1/pages/%s/components/%s", pid, id);
    doc = request_json(ctl, "PATCH", path, body, &code);
    ph_free(body);
    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("%s is now %s%s\n", jstr(doc, "id"), jstr(doc, "status"),
               status != NULL ? " (manual override)" : "");
    }
    json_decref(doc);
    return 0;
}

static int
cmd_key_add(const struct ctl *ctl, const char *name, const char *scope)
{
    json_t *b = json_object(), *doc;
    char *body = NULL;
    size_t n;
    long code;

    json_object_set_new(b, "name", json_string(name));
    json_object_set_new(b, "scope", json_string(scope ? scope : "read"));
    if (ph_json_dump(b, 0, CTL_BODY_MAX, &body, &n) != 0) {
        return 1;
    }
    doc = request_json(ctl, "POST", "/v1/keys", body, &code);
    ph_free(body);
    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("API key %s (%s) created; it is shown only this once:\n%s\n",
               jstr(doc, "name"), jstr(doc, "scope"), jstr(doc, "key"));
    }
    json_decref(doc);
    return 0;
}

static int
cmd_key_list(const struct ctl *ctl)
{
    json_t *doc = get_json(ctl, "/v1/keys"), *k;
    size_t i;

    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("%-24s %-6s %-7s %s\n", "NAME", "SCOPE", "SOURCE", "REVOKED");
        json_array_foreach(doc, i, k) {
            printf("%-24s %-6s %-7s %s\n", jstr(k, "name"), jstr(k, "scope"),
                   jstr(k, "source"),
                   json_is_string(json_object_get(k, "revoked_at"))
                       ? jstr(k, "revoked_at")
                       : "-");
        }
    }
    json_decref(doc);
    return 0;
}

static int
cmd_key_revoke(const struct ctl *ctl, const char *name)
{
    char path[300];
    json_t *doc;
    long code;

    snprintf(path, sizeof(path), "/v1/keys/%s", name);
    doc = request_json(ctl, "DELETE", path, NULL, &code);
    if (doc == NULL) {
        return 1;
    }
    json_decref(doc);
    printf("API key %s revoked\n", name);
    return 0;
}

static const char usage_head[] =
    "usage: pharosctl [--url URL] [--key KEY|--key-file F] [--json] "
    "COMMAND\n";

/* One command a line; lines that start with more than two spaces go on
 * the command above them. */
static const char usage_commands[] =
    "  status                       overall status and components\n"
    "  regions                      each check's state per region\n"
    "  agents                       agents with last contact and backlog\n"
    "  agent add --region R [--id ID]  create an agent, print its token "
    "once\n"
    "  agent revoke ID              revoke an agent's token\n"
    "  component set ID STATUS [--until ISO]  manual override\n"
    "  component clear ID           back to probe-driven status\n"
    "  key add NAME [--scope read|write|admin]  create an API key, print "
    "it once\n"
    "  key list | key revoke NAME   API keys (admin key needed)\n"
    "  viewer add NAME              a viewer of a private page (access: "
    "token);\n"
    "                               prints its link once\n"
    "  viewer list | viewer revoke NAME  viewers (admin key needed)\n"
    "  incident open NAME [--status S] [--body T] [--component "
    "ID[=STATUS]]... [--draft]\n"
    "  incident open --template T [NAME] [...]  fill the rest from the "
    "named template\n"
    "  incident open|update ... --next-update MIN   promise the next "
    "update within MIN minutes\n"
    "  incident update ID [--status S] [--body T] [--component "
    "ID=STATUS]...\n"
    "  incident resolve ID [--body T]   resolve (components back to "
    "probes)\n"
    "  incident list [--all]        unresolved (or all) incidents\n"
    "  incident show ID             one incident with its timeline\n"
    "  maintenance schedule NAME --from ISO --until ISO [--component "
    "ID]...\n"
    "              [--body T] [--remind MINUTES]\n"
    "  maintenance list             upcoming and active windows\n"
    "  maintenance cancel ID        complete it now, with a note\n"
    "  drafts                       incidents opened by automation, "
    "unpublished\n"
    "  draft publish ID | draft discard ID\n"
    "  subscribers list [--state S] subscribers (S: active, pending,\n"
    "                               quarantined, unsubscribed, all)\n"
    "  subscribers add email|webhook|slack ADDRESS [--components a,b]\n"
    "                [--confirmed]  add one (a webhook's secret is "
    "printed once)\n"
    "  subscribers remove ID        unsubscribe one\n";

static const char usage_options[] =
    "options:\n"
    "  --url URL   collector base URL (default $PHAROS_URL or "
    "http://127.0.0.1:8080);\n"
    "              several, tried in order: --url a,b or --url a --url b\n"
    "  --key KEY   API key (default $PHAROS_KEY); --key-file F reads it "
    "from F\n"
    "  --json      print the server's JSON\n";

/* The whole usage (cmd NULL), or only the lines of one command ("draft"
 * and "drafts" go together). */
static void
usage_for(FILE *f, const char *cmd)
{
    const char *p = usage_commands;
    size_t cl = cmd != NULL ? strlen(cmd) : 0;
    int shown = 0, keep = 0;

    if (cmd != NULL && cl > 1 && cmd[cl - 1] == 's') {
        cl--; /* drafts -> draft */
    }
    fputs(usage_head, f);
    fputs("commands:\n", f);
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = (size_t)(nl - p) + 1;

        if (strncmp(p, "   ", 3) != 0) {
            keep = cmd == NULL || (strncmp(p + 2, cmd, cl) == 0 &&
                                   (p[2 + cl] == ' ' || p[2 + cl] == 's'));
        }
        if (keep) {
            fwrite(p, 1, len, f);
            shown = 1;
        }
        p += len;
    }
    if (!shown) {
        fputs(usage_commands, f);
    }
    fputs(usage_options, f);
}

static void
usage(FILE *f)
{
    usage_for(f, NULL);
}

static int
read_key_file(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");

    if (f == NULL || fgets(out, (int)len, f) == NULL) {
        fprintf(stderr, "pharosctl: cannot read key file %s\n", path);
        if (f != NULL) {
            fclose(f);
        }
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

/* Appends the comma-separated URLs of list (edited in place) to ctl.
 * Returns 0, or -1 after a message. */
static int
add_urls(struct ctl *ctl, char *list)
{
    char *p = list;

    while (p != NULL) {
        char *comma = strchr(p, ',');

        if (comma != NULL) {
            *comma = '\0';
        }
        if (*p != '\0') {
            if (ctl->nbases == CTL_URLS_MAX) {
                fprintf(stderr, "pharosctl: at most %d collector URLs\n",
                        CTL_URLS_MAX);
                return -1;
            }
            ctl->bases[ctl->nbases++] = p;
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct ctl ctl;
    const char *args[8];
    const char *region = NULL, *id = NULL, *until = NULL, *scope = NULL;
    struct ctl_incident_opts io;
    struct ctl_subscriber_opts so;
    char keybuf[256];
    char envurls[2048];
    const char *env;
    size_t nargs = 0;
    int help = 0, url_given = 0;
    int rc;

    memset(&ctl, 0, sizeof(ctl));
    memset(&io, 0, sizeof(io));
    memset(&so, 0, sizeof(so));
    env = getenv("PHAROS_URL");
    ctl.key = getenv("PHAROS_KEY");
    if (env != NULL && strlen(env) >= sizeof(envurls)) {
        fprintf(stderr, "pharosctl: PHAROS_URL is too long\n");
        return 2;
    }
    snprintf(envurls, sizeof(envurls), "%s", env != NULL ? env : "");
    if (add_urls(&ctl, envurls) != 0) {
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            /* The first --url replaces PHAROS_URL; more add to it. */
            if (!url_given) {
                ctl.nbases = 0;
                url_given = 1;
            }
            if (add_urls(&ctl, argv[++i]) != 0) {
                return 2;
            }
        } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            ctl.key = argv[++i];
        } else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc) {
            if (read_key_file(argv[++i], keybuf, sizeof(keybuf)) != 0) {
                return 2;
            }
            ctl.key = keybuf;
        } else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc) {
            region = argv[++i];
        } else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc) {
            id = argv[++i];
        } else if (strcmp(argv[i], "--until") == 0 && i + 1 < argc) {
            until = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            ctl.json = 1;
        } else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            so.state = argv[++i];
        } else if (strcmp(argv[i], "--components") == 0 && i + 1 < argc) {
            so.components = argv[++i];
        } else if (strcmp(argv[i], "--confirmed") == 0) {
            so.confirmed = 1;
        } else if (strcmp(argv[i], "--scope") == 0 && i + 1 < argc) {
            scope = argv[++i];
        } else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) {
            io.status = argv[++i];
        } else if (strcmp(argv[i], "--body") == 0 && i + 1 < argc) {
            io.body = argv[++i];
        } else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
            io.from = argv[++i];
        } else if (strcmp(argv[i], "--remind") == 0 && i + 1 < argc) {
            io.remind = argv[++i];
        } else if (strcmp(argv[i], "--component") == 0 && i + 1 < argc) {
            if (io.ncomponents == CTL_COMPONENTS_MAX) {
                fprintf(stderr, "pharosctl: at most %d --component\n",
                        CTL_COMPONENTS_MAX);
                return 2;
            }
            io.components[io.ncomponents++] = argv[++i];
        } else if (strcmp(argv[i], "--draft") == 0) {
            io.draft = 1;
        } else if (strcmp(argv[i], "--template") == 0 && i + 1 < argc) {
            io.template_name = argv[++i];
        } else if (strcmp(argv[i], "--next-update") == 0 && i + 1 < argc) {
            io.next_update = argv[++i];
        } else if (strcmp(argv[i], "--all") == 0) {
            io.all = 1;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            help = 1;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("pharosctl %s\n", PH_VERSION);
            return 0;
        } else if (argv[i][0] != '-' && nargs < 8) {
            args[nargs++] = argv[i];
        } else {
            fprintf(stderr, "pharosctl: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (ctl.nbases == 0) {
        ctl.bases[ctl.nbases++] = "http://127.0.0.1:8080";
    }
    if (help) {
        usage_for(stdout, nargs > 0 ? args[0] : NULL);
        return 0;
    }
    if (nargs == 0) {
        usage(stderr);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(args[0], "status") == 0 && nargs == 1) {
        rc = cmd_status(&ctl);
    } else if (strcmp(args[0], "regions") == 0 && nargs == 1) {
        rc = cmd_regions(&ctl);
    } else if (strcmp(args[0], "agents") == 0 && nargs == 1) {
        rc = cmd_agents(&ctl);
    } else if (strcmp(args[0], "agent") == 0 && nargs == 2 &&
               strcmp(args[1], "add") == 0) {
        char gen[64];
        if (region == NULL) {
            fprintf(stderr, "pharosctl: agent add needs --region R\n");
            rc = 2;
        } else {
            if (id == NULL) {
                snprintf(gen, sizeof(gen), "agent-%s-%ld", region,
                         (long)time(NULL));
                id = gen;
            }
            rc = cmd_agent_add(&ctl, id, region);
        }
    } else if (strcmp(args[0], "agent") == 0 && nargs == 3 &&
               strcmp(args[1], "revoke") == 0) {
        rc = cmd_agent_revoke(&ctl, args[2]);
    } else if (strcmp(args[0], "component") == 0 && nargs == 4 &&
               strcmp(args[1], "set") == 0) {
        rc = cmd_component_set(&ctl, args[2], args[3], until);
    } else if (strcmp(args[0], "component") == 0 && nargs == 3 &&
               strcmp(args[1], "clear") == 0) {
        rc = cmd_component_set(&ctl, args[2], NULL, NULL);
    } else if (strcmp(args[0], "key") == 0 && nargs == 3 &&
               strcmp(args[1], "add") == 0) {
        rc = cmd_key_add(&ctl, args[2], scope);
    } else if (strcmp(args[0], "key") == 0 && nargs == 2 &&
               strcmp(args[1], "list") == 0) {
        rc = cmd_key_list(&ctl);
    } else if (strcmp(args[0], "key") == 0 && nargs == 3 &&
               strcmp(args[1], "revoke") == 0) {
        rc = cmd_key_revoke(&ctl, args[2]);
    } else if (strcmp(args[0], "viewer") == 0 ||
               strcmp(args[0], "viewers") == 0) {
        rc = ctl_viewers(&ctl, args, nargs);
    } else if (strcmp(args[0], "subscribers") == 0) {
        rc = ctl_subscribers(&ctl, &so, args, nargs);
    } else if (strcmp(args[0], "incident") == 0 ||
               strcmp(args[0], "maintenance") == 0 ||
               strcmp(args[0], "drafts") == 0 ||
               strcmp(args[0], "draft") == 0) {
        io.until = until;
        rc = ctl_incidents(&ctl, &io, args, nargs);
    } else {
        fprintf(stderr, "pharosctl: unknown command '%s'\n", args[0]);
        usage(stderr);
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
