/*
 * feed_history.c - the Atom and RSS history feeds (see feed_history.h).
 *
 * Hand-written XML: the documents are small and fixed in shape, and the
 * only library choice (libxml2) would be a new dependency for what is
 * escaping plus string building. All text passes through put_text(),
 * which both sanitises (XML 1.0 characters, valid UTF-8) and escapes.
 *
 * An entry's content is HTML carried as text (Atom type="html", RSS
 * description), so user text is escaped twice: once as HTML while the
 * HTML is built, then the whole HTML once more as XML element text.
 */
#include "feed_history.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

/* HTML of one entry before older updates are left out. The newest update
 * is always shown (at most INC_BODY_MAX bytes, 6x when escaped). */
#define ENTRY_HTML_BUDGET (64 * 1024)
/* Hard cap of a document: 50 entries, each under ~260 KiB of XML even
 * when every body byte is '"' (&quot; then &amp;quot;), plus headers. */
#define DOC_MAX ((size_t)32 * 1024 * 1024)
#define BASE_MAX 1024

#define TAG_PREFIX "tag:pharos.invalid,2024:"

/* A buffer with a sticky error: after the first failure every put is a
 * no-op and the error is reported once at the end. */
struct out {
    struct buf b;
    int rc;
};

static void
out_init(struct out *o, size_t max)
{
    buf_init(&o->b, max);
    o->rc = 0;
}

static void
put_n(struct out *o, const char *s, size_t n)
{
    if (o->rc == 0) {
        o->rc = buf_append(&o->b, s, n);
    }
}

static void
put(struct out *o, const char *s)
{
    put_n(o, s, strlen(s));
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes) and its
 * code point in *cp; or 0 with *bad set to the length of the maximal
 * ill-formed prefix (at least 1), which becomes one U+FFFD (Unicode's
 * "maximal subpart" practice). Rejects overlongs, surrogates and
 * anything past U+10FFFF (Unicode table 3-7).
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned *cp, size_t *bad)
{
    unsigned c = s[0];
    size_t len, i;
    unsigned lo = 0x80, hi = 0xbf, v;

    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f;
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f;
        }
    } else {
        *bad = 1;
        return 0;
    }
    for (i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3f);
        lo = 0x80;
        hi = 0xbf;
    }
    *cp = v;
    return len;
}

#define TEXT_BR 1 /* newline -> "<br>", carriage return dropped (HTML) */

/*
 * Appends s[0..n) escaped for XML/HTML text and attribute values, with
 * characters XML 1.0 does not allow (or that are invisible controls)
 * dropped and malformed UTF-8 replaced by U+FFFD.
 */
static void
put_text(struct out *o, const char *s, size_t n, int flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes before i copied as they are */
    size_t i = 0;

    while (i < n && o->rc == 0) {
        unsigned c = p[i];
        const char *rep = NULL;
        size_t skip = 1;

        if (c >= 0x80) {
            unsigned cp = 0;
            size_t bad = 0;
            size_t len = utf8_seq(p + i, n - i, &cp, &bad);

            if (len == 0) {
                rep = "\xef\xbf\xbd";
                skip = bad;
            } else if (cp <= 0x9f) {
                rep = ""; /* C1 controls */
                skip = len;
            } else if (cp == 0xfffe || cp == 0xffff) {
                rep = "\xef\xbf\xbd"; /* not XML characters */
                skip = len;
            } else {
                i += len;
                run += len;
                continue;
            }
        } else if (c == '&') {
            rep = "&amp;";
        } else if (c == '<') {
            rep = "&lt;";
        } else if (c == '>') {
            rep = "&gt;";
        } else if (c == '"') {
            rep = "&quot;";
        } else if (c == '\'') {
            rep = "&#39;"; /* &apos; is not HTML 4 */
        } else if (c == '\n' && (flags & TEXT_BR)) {
            rep = "<br>";
        } else if (c == '\r' && (flags & TEXT_BR)) {
            rep = "";
        } else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
                   c == 0x7f) {
            rep = "";
        }
        if (rep == NULL) {
            i++;
            run++;
            continue;
        }
        put_n(o, s + i - run, run);
        put(o, rep);
        run = 0;
        i += skip;
    }
    put_n(o, s + i - run, run);
}

static void
put_texts(struct out *o, const char *s, int flags)
{
    put_text(o, s, strlen(s), flags);
}

static int64_t
clamp_ms(int64_t ms)
{
    const int64_t max_ms = INT64_C(253402300799999); /* 9999-12-31 */

    return ms < 0 ? 0 : ms > max_ms ? max_ms : ms;
}

/* RFC 3339 for Atom: time_iso8601's "2026-01-10T12:00:00.000Z" is a
 * valid date-time as long as the year has four digits. */
static void
put_rfc3339(struct out *o, int64_t ms)
{
    char t[ISO8601_MAX];

    time_iso8601(clamp_ms(ms), t);
    put(o, t);
}

static void
put_rfc822(struct out *o, int64_t ms)
{
    char t[RFC822_MAX];

    time_rfc822(ms, t);
    put(o, t);
}

/* "Jan 10, 2026 12:00 UTC" for people, in English whatever the locale. */
static void
put_human_time(struct out *o, int64_t ms)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
    time_t secs = (time_t)(clamp_ms(ms) / 1000);
    struct tm tm;
    char t[48];

    gmtime_r(&secs, &tm);
    snprintf(t, sizeof(t), "%s %d, %04d %02d:%02d UTC", months[tm.tm_mon],
             tm.tm_mday, tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
    put(o, t);
}

/* An entry's date: its last change, never before its creation. */
static int64_t
entry_updated(const struct incident *inc)
{
    return inc->updated_ms > inc->created_ms ? inc->updated_ms
                                             : inc->created_ms;
}

/* What every document needs to know once. */
struct ctx {
    const struct feed_history_input *in;
    char base[BASE_MAX]; /* page url without trailing '/', or "" */
    int has_url;
    const struct incident *sel[FEED_HISTORY_ENTRIES];
    size_t nsel;
    int64_t updated_ms;
};

static void
ctx_init(struct ctx *c, const struct feed_history_input *in)
{
    const char *url = in->conf->page.url;
    size_t n;

    memset(c, 0, sizeof(*c));
    c->in = in;
    if (url != NULL && url[0] != '\0') {
        n = strlen(url);
        while (n > 0 && url[n - 1] == '/') {
            n--;
        }
        if (n > 0 && n < sizeof(c->base)) {
            memcpy(c->base, url, n);
            c->base[n] = '\0';
            c->has_url = 1;
        }
    }
    c->updated_ms = 0;
    for (size_t i = 0; i < in->nincidents && c->nsel < FEED_HISTORY_ENTRIES;
         i++) {
        const struct incident *inc = &in->incidents[i];

        if (inc->draft) {
            continue;
        }
        c->sel[c->nsel++] = inc;
        if (entry_updated(inc) > c->updated_ms) {
            c->updated_ms = entry_updated(inc);
        }
    }
    if (c->nsel == 0) {
        c->updated_ms = in->now_ms;
    }
}

/* A link target: absolute under page.url, else relative to the feed. */
static void
put_href(struct out *o, const struct ctx *c, const char *path)
{
    if (c->has_url) {
        put_texts(o, c->base, 0);
        put(o, "/");
    } else if (path[0] == '\0') {
        put(o, "./");
    }
    put_texts(o, path, 0);
}

static void
put_entry_href(struct out *o, const struct ctx *c,
               const struct incident *inc)
{
    /* The page shows each incident with id="incident-<id>" (web/app.js),
     * the same target as the JSON feed's shortlink. */
    put_href(o, c, "");
    put(o, "#incident-");
    put_texts(o, inc->id, 0);
}

/* An IRI that names the feed or an entry for good: under page.url, else
 * a tag URI (RFC 4151) from the page id. */
static void
put_id(struct out *o, const struct ctx *c, const struct incident *inc)
{
    if (c->has_url) {
        put_texts(o, c->base, 0);
    } else {
        put(o, TAG_PREFIX);
        put_texts(o, c->in->conf->page.id, 0);
    }
    if (inc == NULL) {
        put(o, "/history");
    } else {
        put(o, "/incidents/");
        put_texts(o, inc->id, 0);
    }
}

static void
put_title(struct out *o, const struct ctx *c)
{
    put_texts(o, c->in->conf->page.name, 0);
    put(o, " status history");
}

/* One update as "<p><small>time</small><br><strong>Status</strong> -
 * body</p>", the body HTML-escaped. */
static void
put_update_html(struct out *h, const struct inc_update *u)
{
    put(h, "<p><small>");
    put_human_time(h, u->display_ms > 0 ? u->display_ms : u->created_ms);
    put(h, "</small><br><strong>");
    put(h, inc_status_title(u->status));
    put(h, "</strong>");
    if (u->body != NULL && u->body[0] != '\0') {
        put(h, " - ");
        put_texts(h, u->body, TEXT_BR);
    }
    put(h, "</p>");
}

/*
 * The HTML summary of inc into h: the maintenance window, then the updates
 * newest first until ENTRY_HTML_BUDGET, then a count of the rest. Returns
 * h's sticky error.
 */
static int
entry_html(struct out *h, const struct incident *inc)
{
    struct out u;
    size_t shown = 0;

    if (inc->kind == INC_MAINTENANCE && inc->scheduled_for_ms > 0) {
        put(h, "<p><strong>Scheduled maintenance</strong> from ");
        put_human_time(h, inc->scheduled_for_ms);
        put(h, " until ");
        put_human_time(h, inc->scheduled_until_ms);
        put(h, "</p>");
    }
    out_init(&u, DOC_MAX);
    for (size_t i = inc->nupdates; i-- > 0 && h->rc == 0;) {
        buf_reset(&u.b);
        put_update_html(&u, &inc->updates[i]);
        if (u.rc != 0) {
            h->rc = u.rc;
            break;
        }
        if (shown > 0 && h->b.len + u.b.len > ENTRY_HTML_BUDGET) {
            char more[96];

            snprintf(more, sizeof(more),
                     "<p><small>%zu earlier update%s not shown</small></p>",
                     i + 1, i == 0 ? "" : "s");
            put(h, more);
            break;
        }
        put_n(h, u.b.data, u.b.len);
        shown++;
    }
    buf_free(&u.b);
    return h->rc;
}

/* The entry's HTML as escaped element text. */
static void
put_entry_content(struct out *o, struct out *h, const struct incident *inc)
{
    buf_reset(&h->b);
    if (entry_html(h, inc) != 0) {
        if (o->rc == 0) {
            o->rc = h->rc;
        }
        return;
    }
    put_text(o, h->b.data != NULL ? h->b.data : "", h->b.len, 0);
}

static int
finish(struct out *o, struct out *h, char **ret, size_t *ret_len)
{
    int rc = o->rc != 0 ? o->rc : h->rc;

    buf_free(&h->b);
    if (rc != 0) {
        buf_free(&o->b);
        return rc;
    }
    *ret = buf_steal(&o->b, ret_len);
    return *ret != NULL ? 0 : PH_ENOMEM;
}

int
feed_history_atom(const struct feed_history_input *in, char **ret,
                  size_t *ret_len)
{
    struct ctx c;
    struct out o, h;

    ctx_init(&c, in);
    out_init(&o, DOC_MAX);
    out_init(&h, DOC_MAX);
    put(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>");
    put_id(&o, &c, NULL);
    put(&o, "</id>\n<title>");
    put_title(&o, &c);
    put(&o, "</title>\n<updated>");
    put_rfc3339(&o, c.updated_ms);
    put(&o, "</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
    put_href(&o, &c, "");
    put(&o, "\"/>\n");
    if (c.has_url) {
        put(&o, "<link rel=\"self\" type=\"application/atom+xml\" href=\"");
        put_href(&o, &c, "history.atom");
        put(&o, "\"/>\n");
    }
    put(&o, "<author><name>");
    put_texts(&o, in->conf->page.name, 0);
    put(&o, "</name></author>\n<generator>Pharos</generator>\n");
    for (size_t i = 0; i < c.nsel; i++) {
        const struct incident *inc = c.sel[i];

        put(&o, "<entry>\n<id>");
        put_id(&o, &c, inc);
        put(&o, "</id>\n<title>");
        put_texts(&o, inc->name, 0);
        put(&o, "</title>\n<updated>");
        put_rfc3339(&o, entry_updated(inc));
        put(&o, "</updated>\n<published>");
        put_rfc3339(&o, inc->created_ms);
        put(&o, "</published>\n<link rel=\"alternate\" type=\"text/html\" "
                "href=\"");
        put_entry_href(&o, &c, inc);
        put(&o, "\"/>\n<content type=\"html\">");
        put_entry_content(&o, &h, inc);
        put(&o, "</content>\n</entry>\n");
    }
    put(&o, "</feed>\n");
    return finish(&o, &h, ret, ret_len);
}

int
feed_history_rss(const struct feed_history_input *in, char **ret,
                 size_t *ret_len)
{
    struct ctx c;
    struct out o, h;

    ctx_init(&c, in);
    out_init(&o, DOC_MAX);
    out_init(&h, DOC_MAX);
    put(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<rss version=\"2.0\" "
            "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n"
            "<title>");
    put_title(&o, &c);
    put(&o, "</title>\n<link>");
    put_href(&o, &c, "");
    put(&o, "</link>\n<description>Incidents and scheduled maintenance of ");
    put_texts(&o, in->conf->page.name, 0);
    put(&o, "</description>\n<lastBuildDate>");
    put_rfc822(&o, c.updated_ms);
    put(&o, "</lastBuildDate>\n<pubDate>");
    put_rfc822(&o, c.updated_ms);
    put(&o, "</pubDate>\n<generator>Pharos</generator>\n");
    if (c.has_url) {
        put(&o, "<atom:link rel=\"self\" type=\"application/rss+xml\" "
                "href=\"");
        put_href(&o, &c, "history.rss");
        put(&o, "\"/>\n");
    }
    for (size_t i = 0; i < c.nsel; i++) {
        const struct incident *inc = c.sel[i];

        put(&o, "<item>\n<title>");
        put_texts(&o, inc->name, 0);
        put(&o, "</title>\n<link>");
        put_entry_href(&o, &c, inc);
        put(&o, "</link>\n<guid isPermaLink=\"false\">");
        put_id(&o, &c, inc);
        put(&o, "</guid>\n<pubDate>");
        put_rfc822(&o, inc->created_ms);
        put(&o, "</pubDate>\n<description>");
        put_entry_content(&o, &h, inc);
        put(&o, "</description>\n</item>\n");
    }
    put(&o, "</channel>\n</rss>\n");
    return finish(&o, &h, ret, ret_len);
}
