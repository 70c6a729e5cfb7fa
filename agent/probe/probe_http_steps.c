/*
 * probe_http_steps.c - multi-step HTTP checks and response assertions
 * (probe_http_steps.h).
 *
 * Steps run from a zero-delay timer, never from inside curl_uv's done
 * callback, so each request starts on a clean stack and cancel has one
 * handle to close. Secrets are read when a run starts (a small local file
 * or the environment), so a rotated secret is used by the next run.
 */
#include "probe_http_steps.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "buf.h"
#include "probe_curl.h"
#include "curl_uv.h"
#include "json_assert.h"
#include "mem.h"
#include "ph_err.h"

#define STEP_BODY_MAX (1024 * 1024) /* response bytes kept per step */
#define STEP_REQ_MAX (1024 * 1024)  /* expanded request body */
#define STEP_URL_MAX 8192
#define STEP_HEADER_MAX (TVAR_VALUE_MAX + 256)
#define SECRET_FILE_MAX TVAR_VALUE_MAX

struct steps_run {
    const struct probe_env *env;
    const struct check *c;
    probe_done_cb cb;
    void *arg;
    uv_timer_t kick; /* embedded: freed from its close cb */
    CURL *easy;      /* the running step's request, or NULL */
    struct curl_slist *hdrs;
    struct buf url;
    struct buf reqbody;
    struct buf body;
    int truncated;
    size_t step;
    uint64_t started; /* uv_now() at the start */
    uint64_t total_us;
    long step_timeout_ms; /* of the running step */
    struct tvars vars;
    char iface[80];
    char errbuf[CURL_ERROR_SIZE];
    char scratch[TVAR_VALUE_MAX + 1];
    struct check_result res;
};

static void
on_closed(uv_handle_t *h)
{
    struct steps_run *s = h->data;

    tvars_free(&s->vars);
    buf_free(&s->url);
    buf_free(&s->reqbody);
    buf_free(&s->body);
    ph_free(s);
}

static void
drop_request(struct steps_run *s)
{
    if (s->easy != NULL) {
        curl_easy_cleanup(s->easy);
        s->easy = NULL;
    }
    curl_slist_free_all(s->hdrs);
    s->hdrs = NULL;
}

static void
close_run(struct steps_run *s)
{
    drop_request(s);
    uv_timer_stop(&s->kick);
    uv_close((uv_handle_t *)&s->kick, on_closed);
}

static const char *
step_label(const struct http_step *st, size_t i, char *out, size_t len)
{
    if (st->name != NULL) {
        snprintf(out, len, "step %zu \"%.32s\"", i + 1, st->name);
    } else {
        snprintf(out, len, "step %zu", i + 1);
    }
    return out;
}

/* Ends the run: outcome and error (already masked), then cb, then the
 * handle is closed. */
static void
finish(struct steps_run *s, enum outcome o)
{
    struct check_result *r = &s->res;

    r->outcome = o;
    r->timing.total_us = s->total_us;
    r->latency_ms = (uint32_t)(s->total_us / 1000);
    if (o == OUTCOME_UP) {
        r->error[0] = '\0';
    }
    tvars_redact(&s->vars, r->error, sizeof(r->error));
    probe_finish(s->c, r, probe_now_ms() / 1000);
    tvars_redact(&s->vars, r->error, sizeof(r->error));
    s->cb(s->c, r, s->arg);
    close_run(s);
}

/* Fails the run at the current step with "step N "name": why". */
static void
fail_step(struct steps_run *s, const char *why)
{
    const struct http_step *st = &s->c->u.http.steps[s->step];
    char label[64];

    check_result_seterr(&s->res, "%s: %s",
                        step_label(st, s->step, label, sizeof(label)), why);
    finish(s, OUTCOME_DOWN);
}

/* Reads secret sec into vars. Returns 0, or -1 with why. */
static int
read_secret(struct steps_run *s, const struct http_secret *sec, char *why,
            size_t len)
{
    const char *v = NULL;
    size_t n = 0;
    int rc;

    if (sec->env != NULL) {
        v = getenv(sec->env);
        if (v == NULL) {
            snprintf(why, len,
                     "secret '%s': environment variable %.40s is "
                     "not set",
                     sec->name, sec->env);
            return -1;
        }
        n = strlen(v);
    } else {
        FILE *f = fopen(sec->file, "re");

        if (f == NULL) {
            snprintf(why, len, "secret '%s': cannot read %.60s: %s", sec->name,
                     sec->file, strerror(errno));
            return -1;
        }
        n = fread(s->scratch, 1, sizeof(s->scratch) - 1, f);
        fclose(f);
        s->scratch[n] = '\0';
        /* The first line: files written by editors and `echo` end with a
         * newline that is not part of the secret. */
        n = strcspn(s->scratch, "\r\n");
        s->scratch[n] = '\0';
        v = s->scratch;
    }
    rc = tvars_set(&s->vars, sec->name, v, n, 1);
    if (rc != 0) {
        snprintf(why, len, "secret '%s': %s", sec->name, ph_strerror(rc));
        return -1;
    }
    return 0;
}

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct steps_run *s = userdata;
    size_t n = size * nmemb;
    size_t room = STEP_BODY_MAX - s->body.len;

    if (n > room) {
        buf_append(&s->body, ptr, room);
        s->truncated = 1;
        return 0;
    }
    buf_append(&s->body, ptr, n);
    return n;
}


/* The value of response header name in e, or NULL. */
static const char *
header_value(CURL *e, const char *name)
{
    struct curl_header *h = NULL;

    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
        h == NULL) {
        return NULL;
    }
    return h->value;
}

int
probe_http_assert(CURL *easy, const struct http_assert *as, size_t n,
                  const struct tvars *vars, const char *body, size_t len,
                  struct json_doc **doc, char *err, size_t errlen)
{
    struct buf want;
    char why[128];
    int result = 0;

    buf_init(&want, TVAR_VALUE_MAX);
    for (size_t i = 0; i < n && result == 0; i++) {
        const struct http_assert *a = &as[i];
        const char *w = a->value;

        if (w != NULL && vars != NULL) {
            buf_reset(&want);
            if (template_expand(w, vars, &want, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "%s: %s",
                         a->json != NULL ? a->json : a->header, why);
                result = 1;
                break;
            }
            w = want.data;
        }
        if (a->header != NULL) {
            char subject[96];

            snprintf(subject, sizeof(subject), "header %.60s", a->header);
            result = text_assert(subject, header_value(easy, a->header), a->op,
                                 w, err, errlen) != 0;
            continue;
        }
        if (*doc == NULL) {
            *doc = json_doc_parse(body, len, why, sizeof(why));
            if (*doc == NULL) {
                snprintf(err, errlen, "body is not JSON (%s)", why);
                result = 1;
                break;
            }
        }
        result = json_assert(*doc, a->json, a->op, w, err, errlen) != 0;
    }
    buf_free(&want);
    return result;
}

/* Applies regex re to text: the first group, or the whole match, into
 * out. Returns 0 or -1 (no match, or no room). */
static int
regex_take(const char *re, const char *text, char *out, size_t len)
{
    regex_t r;
    regmatch_t m[2];
    int rc;
    size_t g, n;

    if (regcomp(&r, re, REG_EXTENDED) != 0) {
        return -1;
    }
    rc = regexec(&r, text, 2, m, 0);
    g = r.re_nsub >= 1 && m[1].rm_so >= 0 ? 1 : 0;
    regfree(&r);
    if (rc != 0) {
        return -1;
    }
    n = (size_t)(m[g].rm_eo - m[g].rm_so);
    if (n >= len) {
        return -1;
    }
    memcpy(out, text + m[g].rm_so, n);
    out[n] = '\0';
    return 0;
}

/* Takes the step's variables from the response. Returns 0 or -1 (why). */
static int
extract(struct steps_run *s, const struct http_step *st, struct json_doc **doc,
        char *why, size_t len)
{
    const char *body = s->body.data != NULL ? s->body.data : "";
    char jerr[128];

    for (size_t i = 0; i < st->nextract; i++) {
        const struct http_extract *x = &st->extract[i];
        const char *from = body;
        int rc;

        if (x->json != NULL) {
            if (*doc == NULL) {
                *doc = json_doc_parse(body, s->body.len, jerr, sizeof(jerr));
                if (*doc == NULL) {
                    snprintf(why, len, "extract %s: body is not JSON (%s)",
                             x->var, jerr);
                    return -1;
                }
            }
            rc = json_extract(*doc, x->json, s->scratch, sizeof(s->scratch),
                              jerr, sizeof(jerr));
            if (rc != 0) {
                snprintf(why, len, "extract %s: %s", x->var, jerr);
                return -1;
            }
        } else {
            if (x->header != NULL) {
                from = header_value(s->easy, x->header);
                if (from == NULL) {
                    snprintf(why, len, "extract %s: header %.60s: missing",
                             x->var, x->header);
                    return -1;
                }
            }
            if (x->regex != NULL) {
                if (regex_take(x->regex, from, s->scratch,
                               sizeof(s->scratch)) != 0) {
                    snprintf(why, len, "extract %s: no match for /%.40s/",
                             x->var, x->regex);
                    return -1;
                }
            } else {
                snprintf(s->scratch, sizeof(s->scratch), "%s", from);
            }
        }
        rc = tvars_set(&s->vars, x->var, s->scratch, strlen(s->scratch),
                       x->secret);
        if (rc != 0) {
            snprintf(why, len, "extract %s: %s", x->var, ph_strerror(rc));
            return -1;
        }
    }
    return 0;
}

static int
status_ok(const struct http_step *st, long code, char *why, size_t len)
{
    size_t off = 0;
    char exp[96];

    if (st->expect_status.n == 0) {
        if (code >= 200 && code <= 399) {
            return 1;
        }
        snprintf(why, len, "status %ld not in [200-399]", code);
        return 0;
    }
    for (size_t i = 0; i < st->expect_status.n; i++) {
        if (st->expect_status.v[i] == code) {
            return 1;
        }
    }
    exp[0] = '\0';
    for (size_t i = 0; i < st->expect_status.n && off + 8 < sizeof(exp); i++) {
        off += (size_t)snprintf(exp + off, sizeof(exp) - off, "%s%d",
                                i ? "," : "", st->expect_status.v[i]);
    }
    snprintf(why, len, "status %ld not in [%s]", code, exp);
    return 0;
}

/* Judges the finished request of the current step. Returns 0, or -1 with
 * why. */
static int
judge(struct steps_run *s, const struct http_step *st, long code, uint32_t ms,
      char *why, size_t len)
{
    const char *body = s->body.data != NULL ? s->body.data : "";
    struct json_doc *doc = NULL;
    int result = -1;

    if (!status_ok(st, code, why, len)) {
        goto out;
    }
    if (st->body_regex != NULL) {
        regex_t re;
        int m;

        if (regcomp(&re, st->body_regex, REG_EXTENDED | REG_NOSUB) != 0) {
            snprintf(why, len, "body_regex does not compile");
            goto out;
        }
        m = regexec(&re, body, 0, NULL, 0);
        regfree(&re);
        if (m != 0) {
            snprintf(why, len, "body does not match /%.60s/", st->body_regex);
            goto out;
        }
    }
    if (st->max_latency_ms > 0 && ms > st->max_latency_ms) {
        snprintf(why, len, "latency %u ms, expected <= %u ms", ms,
                 st->max_latency_ms);
        goto out;
    }
    if (probe_http_assert(s->easy, st->asserts, st->nasserts, &s->vars, body,
                          s->body.len, &doc, why, len) != 0) {
        goto out;
    }
    if (extract(s, st, &doc, why, len) != 0) {
        goto out;
    }
    result = 0;
out:
    json_doc_destroy(doc);
    return result;
}


static void
transport_error(struct steps_run *s, CURLcode cc, long timeout_ms, char *why,
                size_t len)
{
    const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc);
    long oserr = 0;

    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(why, len, "dns: could not resolve host");
        break;
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(s->easy, CURLINFO_OS_ERRNO, &oserr);
        snprintf(why, len, "connect: %.100s",
                 oserr == ECONNREFUSED ? "connection refused"
                 : oserr != 0          ? strerror((int)oserr)
                                       : detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(why, len, "timeout after %ld ms", timeout_ms);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(why, len, "tls: certificate verify failed: %.100s", detail);
        break;
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(why, len, "tls: handshake failed: %.100s", detail);
        break;
    default:
        snprintf(why, len, "http: %.100s", detail);
        break;
    }
}

static void
report_step(struct steps_run *s, const struct http_step *st, long code,
            const struct check_timing *t, const char *why)
{
    char label[64], masked[CHECK_ERROR_MAX];
    struct probe_step ps;

    if (s->env->on_step == NULL) {
        return;
    }
    snprintf(masked, sizeof(masked), "%s", why);
    tvars_redact(&s->vars, masked, sizeof(masked));
    if (st->name != NULL) {
        snprintf(label, sizeof(label), "%s", st->name);
    } else {
        snprintf(label, sizeof(label), "step %zu", s->step + 1);
    }
    memset(&ps, 0, sizeof(ps));
    ps.index = s->step;
    ps.count = s->c->u.http.nsteps;
    ps.name = label;
    ps.status_code = (int32_t)code;
    ps.latency_ms = (uint32_t)(t->total_us / 1000);
    ps.timing = *t;
    ps.error = masked;
    s->env->on_step(s->c, &ps, s->env->on_step_arg);
}

static void on_kick(uv_timer_t *t);

static void
on_step_done(CURL *easy, CURLcode cc, void *arg)
{
    struct steps_run *s = arg;
    const struct http_step *st = &s->c->u.http.steps[s->step];
    struct check_timing t;
    char why[CHECK_ERROR_MAX];
    long code = 0, timeout_ms = 0;
    int64_t na;

    why[0] = '\0';
    probe_curl_timing(easy, &t);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if (s->step == 0) {
        s->res.timing = t;
    }
    s->total_us += t.total_us;
    s->res.status_code = (int32_t)code;
    na = probe_curl_cert_not_after(easy);
    if (na > 0 && (s->res.cert_not_after == 0 || na < s->res.cert_not_after)) {
        s->res.cert_not_after = na;
    }
    timeout_ms = s->step_timeout_ms;
    if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && s->truncated)) {
        judge(s, st, code, (uint32_t)(t.total_us / 1000), why, sizeof(why));
    } else {
        transport_error(s, cc, timeout_ms, why, sizeof(why));
    }
    report_step(s, st, code, &t, why);
    drop_request(s);
    if (why[0] != '\0') {
        fail_step(s, why);
        return;
    }
    s->step++;
    if (s->step == s->c->u.http.nsteps) {
        finish(s, OUTCOME_UP);
        return;
    }
    uv_timer_start(&s->kick, on_kick, 0, 0);
}

/* Expands text into out (reset first). Returns 0 or -1 with why. */
static int
expand(struct steps_run *s, const char *what, const char *text, struct buf *out,
       char *why, size_t len)
{
    char err[96];
    int rc;

    buf_reset(out);
    rc = template_expand(text, &s->vars, out, err, sizeof(err));
    if (rc == PH_ETOOBIG) {
        snprintf(why, len, "%s: longer than %zu bytes", what, out->max);
    } else if (rc != 0) {
        snprintf(why, len, "%s: %s", what, err);
    }
    return rc == 0 ? 0 : -1;
}

/* Builds and starts the current step's request. Returns 0 or -1 with
 * why. */
static int
start_step(struct steps_run *s, char *why, size_t len)
{
    const struct check *c = s->c;
    const struct check_http *hc = &c->u.http;
    const struct http_step *st = &hc->steps[s->step];
    uint64_t used = uv_now(s->env->loop) - s->started;
    long timeout;
    const char *method = st->method;
    const char *src;
    struct buf line;
    CURL *e;
    int rc;

    if (used >= c->timeout_ms) {
        snprintf(why, len,
                 "the check's timeout (%u ms) ran out before "
                 "this step",
                 c->timeout_ms);
        return -1;
    }
    timeout = (long)(c->timeout_ms - used);
    if (st->timeout_ms > 0 && (long)st->timeout_ms < timeout) {
        timeout = (long)st->timeout_ms;
    }
    if (expand(s, "url", st->url != NULL ? st->url : hc->url, &s->url, why,
               len) != 0) {
        return -1;
    }
    if (st->body != NULL &&
        expand(s, "body", st->body, &s->reqbody, why, len) != 0) {
        return -1;
    }
    buf_reset(&s->body);
    s->truncated = 0;
    s->errbuf[0] = '\0';
    e = s->easy = curl_easy_init();
    if (e == NULL) {
        snprintf(why, len, "agent: out of memory");
        return -1;
    }
    curl_easy_setopt(e, CURLOPT_URL, s->url.data);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    s->step_timeout_ms = timeout;
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "pharos-agent/" PH_VERSION);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, hc->follow_redirects ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, hc->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, hc->insecure ? 0L : 2L);
    curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
    if (hc->ca_file != NULL) {
        curl_easy_setopt(e, CURLOPT_CAINFO, hc->ca_file);
    }
    src = probe_source_address(s->env, c);
    if (src != NULL) {
        snprintf(s->iface, sizeof(s->iface), "host!%s", src);
        curl_easy_setopt(e, CURLOPT_INTERFACE, s->iface);
    }
    if (method == NULL) {
        method = st->body != NULL ? "POST" : "GET";
    }
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    if (st->body != NULL) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->reqbody.data);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)s->reqbody.len);
    }
    buf_init(&line, STEP_HEADER_MAX);
    for (size_t i = 0; i < st->headers.n; i++) {
        struct curl_slist *n;
        char err[96];

        buf_reset(&line);
        buf_printf(&line, "%s: ", st->headers.kv[i].name);
        rc = template_expand(st->headers.kv[i].value, &s->vars, &line, err,
                             sizeof(err));
        if (rc != 0 || strpbrk(line.data, "\r\n") != NULL) {
            snprintf(why, len, "header %.40s: %s", st->headers.kv[i].name,
                     rc != 0 ? err : "a variable holds a line break");
            buf_free(&line);
            return -1;
        }
        n = curl_slist_append(s->hdrs, line.data);
        if (n == NULL) {
            snprintf(why, len, "agent: out of memory");
            buf_free(&line);
            return -1;
        }
        s->hdrs = n;
    }
    buf_free(&line);
    if (s->hdrs != NULL) {
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->hdrs);
    }
    rc = curl_uv_add(s->env->curl, e, on_step_done, s);
    if (rc != 0) {
        snprintf(why, len, "agent: cannot start request: %s", ph_strerror(rc));
        return -1;
    }
    return 0;
}

static void
on_kick(uv_timer_t *t)
{
    struct steps_run *s = t->data;
    const struct check_http *hc = &s->c->u.http;
    char why[CHECK_ERROR_MAX];

    if (s->step == 0) {
        for (size_t i = 0; i < hc->nsecrets; i++) {
            if (read_secret(s, &hc->secrets[i], why, sizeof(why)) != 0) {
                check_result_seterr(&s->res, "%s", why);
                finish(s, OUTCOME_DOWN);
                return;
            }
        }
    }
    if (start_step(s, why, sizeof(why)) != 0) {
        drop_request(s);
        fail_step(s, why);
    }
}

int
probe_http_steps_start(const struct probe_env *env, const struct check *c,
                       probe_done_cb cb, void *arg, void **ret_run)
{
    struct steps_run *s;
    int rc;

    if (c->u.http.nsteps == 0) {
        return PH_EINVAL;
    }
    s = ph_calloc(1, sizeof(*s));
    if (s == NULL) {
        return PH_ENOMEM;
    }
    s->env = env;
    s->c = c;
    s->cb = cb;
    s->arg = arg;
    tvars_init(&s->vars);
    buf_init(&s->url, STEP_URL_MAX);
    buf_init(&s->reqbody, STEP_REQ_MAX);
    buf_init(&s->body, STEP_BODY_MAX);
    snprintf(s->res.check_id, sizeof(s->res.check_id), "%s", c->id);
    s->res.started_at_ms = probe_now_ms();
    s->started = uv_now(env->loop);
    rc = uv_timer_init(env->loop, &s->kick);
    if (rc != 0) {
        ph_free(s);
        return PH_EINTERNAL;
    }
    s->kick.data = s;
    uv_timer_start(&s->kick, on_kick, 0, 0);
    *ret_run = s;
    return 0;
}

void
probe_http_steps_cancel(void *run)
{
    struct steps_run *s = run;

    if (s->easy != NULL) {
        curl_uv_remove(s->env->curl, s->easy);
    }
    close_run(s);
}
