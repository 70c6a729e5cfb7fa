/*
 * test_history.c - /history.atom and /history.rss: shape, dates, draft
 * skipping, the 50-entry cap, the per-entry size budget, and escaping
 * (HTML inside XML, control characters, malformed UTF-8).
 *
 * Every document goes through wellformed(), a small XML 1.0 checker
 * (tags balance, one root, attributes quoted, only the predefined and
 * numeric entities, valid UTF-8, no forbidden characters). With
 * PH_HISTORY_OUT=<dir> the documents are also written there, for
 * tests/integration/lib/xmlcheck.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feed_history.h"
#include "incident.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

#define T0 INT64_C(1767960000000) /* Fri, 09 Jan 2026 12:00:00 UTC */
#define MIN INT64_C(60000)
#define NOW INT64_C(1768100000000) /* Sun, 11 Jan 2026 02:53:20 UTC */

#define EVIL                                                               \
    "<script>alert(1)</script> & \"quotes\" it's\x01 bad\xff byte\nline 2"

/* ---- a small well-formedness checker ---- */

static int
name_char(unsigned char c, int first)
{
    return c == '_' || c == ':' || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c >= 0x80 ||
           (!first && (c == '-' || c == '.' || (c >= '0' && c <= '9')));
}

/* Length of a valid UTF-8 sequence of an XML 1.0 Char at p, else 0. */
static size_t
xml_char(const unsigned char *p, size_t n)
{
    unsigned c = p[0], cp;
    size_t len;

    if (c < 0x80) {
        return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
        cp == 0xffff) {
        return 0;
    }
    return len;
}

/* Checks an entity reference at s ('&'); returns its length or 0. */
static size_t
entity(const char *s)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                        "&apos;"};
    size_t i = 2;

    for (size_t k = 0; k < 5; k++) {
        if (strncmp(s, named[k], strlen(named[k])) == 0) {
            return strlen(named[k]);
        }
    }
    if (s[1] != '#') {
        return 0;
    }
    if (s[2] == 'x') {
        i = 3;
        while (strchr("0123456789abcdefABCDEF", s[i]) != NULL &&
               s[i] != '\0') {
            i++;
        }
        return i > 3 && s[i] == ';' ? i + 1 : 0;
    }
    while (s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    return i > 2 && s[i] == ';' ? i + 1 : 0;
}

/* Checks text or an attribute value up to stop; returns the end. */
static const char *
chars(const char *p, const char *end, char stop, const char **err)
{
    while (p < end && *p != stop) {
        size_t n;

        if (*p == '<') {
            *err = "raw '<' in text";
            return NULL;
        }
        if (*p == '&') {
            n = entity(p);
            if (n == 0) {
                *err = "bad entity";
                return NULL;
            }
            p += n;
            continue;
        }
        n = xml_char((const unsigned char *)p, (size_t)(end - p));
        if (n == 0) {
            *err = "not an XML character";
            return NULL;
        }
        p += n;
    }
    return p;
}

static const char *
name(const char *p, size_t *len)
{
    const char *s = p;

    if (!name_char((unsigned char)*p, 1)) {
        return NULL;
    }
    while (name_char((unsigned char)*p, 0)) {
        p++;
    }
    *len = (size_t)(p - s);
    return p;
}

/* Returns NULL if doc is well-formed XML, else what is wrong. */
static const char *
wellformed(const char *doc, size_t len)
{
    const char *stack[16];
    size_t stlen[16];
    size_t depth = 0, roots = 0;
    const char *p = doc, *end = doc + len, *err = NULL;
    const char *decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    if (strlen(doc) != len) {
        return "NUL inside the document";
    }
    if (strncmp(p, decl, strlen(decl)) != 0) {
        return "no XML declaration";
    }
    p += strlen(decl);
    while (p < end) {
        size_t n;

        if (*p != '<') {
            const char *q = chars(p, end, '<', &err);
            if (q == NULL) {
                return err;
            }
            if (depth == 0) {
                for (const char *w = p; w < q; w++) {
                    if (strchr(" \t\r\n", *w) == NULL) {
                        return "text outside the root";
                    }
                }
            }
            p = q;
            continue;
        }
        if (p[1] == '/') {
            const char *q = name(p + 2, &n);
            if (q == NULL || depth == 0 || n != stlen[depth - 1] ||
                memcmp(p + 2, stack[depth - 1], n) != 0 || *q != '>') {
                return "mismatched end tag";
            }
            depth--;
            p = q + 1;
            continue;
        }
        {
            const char *tag = p + 1;
            const char *q = name(tag, &n);

            if (q == NULL) {
                return "bad tag name";
            }
            if (depth == 0 && roots++ > 0) {
                return "more than one root";
            }
            for (;;) {
                size_t an;
                const char *a;

                while (*q == ' ' || *q == '\n') {
                    q++;
                }
                if (*q == '>' || (q[0] == '/' && q[1] == '>')) {
                    break;
                }
                a = name(q, &an);
                if (a == NULL || a[0] != '=' || a[1] != '"') {
                    return "bad attribute";
                }
                q = chars(a + 2, end, '"', &err);
                if (q == NULL) {
                    return err;
                }
                if (*q != '"') {
                    return "unterminated attribute";
                }
                q++;
            }
            if (*q == '/') {
                p = q + 2;
                continue;
            }
            if (depth == sizeof(stack) / sizeof(stack[0])) {
                return "too deep";
            }
            stack[depth] = tag;
            stlen[depth++] = n;
            p = q + 1;
        }
    }
    if (depth != 0 || roots != 1) {
        return "unclosed elements";
    }
    return NULL;
}

/* ---- fixtures ---- */

struct fixture {
    struct pharos_conf conf;
    struct incident inc[3]; /* newest first: draft, maintenance, incident */
};

static void
apply(struct incident *inc, const char *id, const char *uid,
      const struct inc_edit *e, int64_t now)
{
    char err[128] = "";
    int rc = incident_apply(inc, id, uid, e, now, err, sizeof(err));

    if (rc != 0) {
        fail_msg("incident_apply %s/%s: %d %s", id, uid, rc, err);
    }
}

static void
make_incident(struct incident *inc)
{
    struct inc_edit e;

    memset(inc, 0, sizeof(*inc));
    inc_edit_init(&e);
    e.name = "Database <outage> & 'co'";
    e.status = INC_INVESTIGATING;
    e.body = "We are investigating.";
    apply(inc, "inc000000001", "upd000000001", &e, T0);
    inc_edit_init(&e);
    e.status = INC_IDENTIFIED;
    e.body = EVIL;
    apply(inc, "inc000000001", "upd000000002", &e, T0 + 10 * MIN);
    inc_edit_init(&e);
    e.status = INC_RESOLVED;
    e.body = "Fixed.";
    apply(inc, "inc000000001", "upd000000003", &e, T0 + 60 * MIN);
}

static void
make_maintenance(struct incident *inc)
{
    struct inc_edit e;

    memset(inc, 0, sizeof(*inc));
    inc_edit_init(&e);
    e.name = "Database upgrade";
    e.status = INC_SCHEDULED;
    e.body = "We will upgrade the database.";
    e.scheduled_for_ms = INT64_C(1768046400000);   /* Jan 10 12:00 */
    e.scheduled_until_ms = INT64_C(1768053600000); /* Jan 10 14:00 */
    apply(inc, "mnt000000001", "upd000000004", &e, T0 + 120 * MIN);
}

static void
make_draft(struct incident *inc)
{
    struct inc_edit e;

    memset(inc, 0, sizeof(*inc));
    inc_edit_init(&e);
    e.name = "Secret draft";
    e.body = "Automation thinks something broke.";
    e.draft = 1;
    apply(inc, "drf000000001", "upd000000005", &e, T0 + 180 * MIN);
}

static void
make_conf(struct pharos_conf *cf, const char *url)
{
    memset(cf, 0, sizeof(*cf));
    cf->page.id = "page1";
    cf->page.name = "Example & Co";
    cf->page.url = (char *)(uintptr_t)url;
}

static int
setup(void **state)
{
    struct fixture *f = ph_calloc(1, sizeof(*f));

    assert_non_null(f);
    make_conf(&f->conf, "https://status.example.test/");
    make_draft(&f->inc[0]);
    make_maintenance(&f->inc[1]);
    make_incident(&f->inc[2]);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    for (size_t i = 0; i < 3; i++) {
        incident_free(&f->inc[i]);
    }
    ph_free(f);
    return 0;
}

/* ---- helpers ---- */

typedef int (*render_fn)(const struct feed_history_input *, char **,
                         size_t *);

static void
dump(const char *file, const char *doc, size_t len)
{
    const char *dir = getenv("PH_HISTORY_OUT");
    char path[512];
    FILE *fp;

    if (dir == NULL || *dir == '\0') {
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(doc, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* Renders, checks well-formedness and returns the document. */
static char *
render(render_fn fn, const struct pharos_conf *cf,
       const struct incident *incs, size_t n, const char *dumpname)
{
    struct feed_history_input in = {cf, incs, n, NOW};
    char *doc = NULL;
    size_t len = 0;
    const char *err;

    assert_int_equal(fn(&in, &doc, &len), 0);
    assert_non_null(doc);
    assert_int_equal(strlen(doc), len);
    err = wellformed(doc, len);
    if (err != NULL) {
        fail_msg("%s: not well-formed: %s\n%s", dumpname, err, doc);
    }
    if (dumpname != NULL) {
        dump(dumpname, doc, len);
    }
    return doc;
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p != NULL;
         p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void
assert_has(const char *doc, const char *needle)
{
    if (strstr(doc, needle) == NULL) {
        fail_msg("missing %s in:\n%s", needle, doc);
    }
}

static void
assert_lacks(const char *doc, const char *needle)
{
    if (strstr(doc, needle) != NULL) {
        fail_msg("unexpected %s in:\n%s", needle, doc);
    }
}

/* a comes before b in doc (both present). */
static void
assert_order(const char *doc, const char *a, const char *b)
{
    const char *pa = strstr(doc, a), *pb = strstr(doc, b);

    if (pa == NULL || pb == NULL || pa >= pb) {
        fail_msg("want %s before %s", a, b);
    }
}

/* ---- tests ---- */

/* The checker itself rejects what it should. */
static void
test_checker(void **state)
{
    static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    static const struct {
        const char *body;
        int ok;
    } cases[] = {
        {"<a x=\"1&amp;2\"><b/>t &lt; &#39; &#x41; &gt; ></a>\n", 1},
        {"<a><b></a></b>", 0},
        {"<a></a><b/>", 0},
        {"<a>x & y</a>", 0},
        {"<a>&nbsp;</a>", 0},
        {"<a x=\"<\"/>", 0},
        {"<a x=1/>", 0},
        {"<a>\x01</a>", 0},
        {"<a>\xff</a>", 0},
        {"<a>\xed\xa0\x80</a>", 0},
        {"<a>", 0},
        {"x<a/>", 0},
    };
    char doc[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *err;

        snprintf(doc, sizeof(doc), "%s%s", decl, cases[i].body);
        err = wellformed(doc, strlen(doc));
        if ((err == NULL) != cases[i].ok) {
            fail_msg("case %zu: %s", i, err != NULL ? err : "accepted");
        }
    }
}

static void
test_rfc822(void **state)
{
    char t[RFC822_MAX];

    (void)state;
    time_rfc822(INT64_C(1033563600000), t);
    assert_string_equal(t, "Wed, 02 Oct 2002 13:00:00 +0000");
    time_rfc822(T0 + 999, t);
    assert_string_equal(t, "Fri, 09 Jan 2026 12:00:00 +0000");
    time_rfc822(0, t);
    assert_string_equal(t, "Thu, 01 Jan 1970 00:00:00 +0000");
    time_rfc822(-5, t);
    assert_string_equal(t, "Thu, 01 Jan 1970 00:00:00 +0000");
    time_rfc822(INT64_MAX, t);
    assert_string_equal(t, "Fri, 31 Dec 9999 23:59:59 +0000");
}

static void
test_empty(void **state)
{
    struct pharos_conf cf;
    char *atom, *rss;

    (void)state;
    make_conf(&cf, "https://status.example.test");
    atom = render(feed_history_atom, &cf, NULL, 0, "empty.atom");
    assert_string_equal(
        atom,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
        "<id>https://status.example.test/history</id>\n"
        "<title>Example &amp; Co status history</title>\n"
        "<updated>2026-01-11T02:53:20.000Z</updated>\n"
        "<link rel=\"alternate\" type=\"text/html\" "
        "href=\"https://status.example.test/\"/>\n"
        "<link rel=\"self\" type=\"application/atom+xml\" "
        "href=\"https://status.example.test/history.atom\"/>\n"
        "<author><name>Example &amp; Co</name></author>\n"
        "<generator>Pharos</generator>\n"
        "</feed>\n");
    rss = render(feed_history_rss, &cf, NULL, 0, "empty.rss");
    assert_string_equal(
        rss,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n"
        "<channel>\n"
        "<title>Example &amp; Co status history</title>\n"
        "<link>https://status.example.test/</link>\n"
        "<description>Incidents and scheduled maintenance of Example "
        "&amp; Co</description>\n"
        "<lastBuildDate>Sun, 11 Jan 2026 02:53:20 +0000</lastBuildDate>\n"
        "<pubDate>Sun, 11 Jan 2026 02:53:20 +0000</pubDate>\n"
        "<generator>Pharos</generator>\n"
        "<atom:link rel=\"self\" type=\"application/rss+xml\" "
        "href=\"https://status.example.test/history.rss\"/>\n"
        "</channel>\n</rss>\n");
    ph_free(atom);
    ph_free(rss);
}

/* The escaped HTML of the evil update, as it appears in the XML: user
 * text escaped as HTML, then everything escaped as XML. */
static const char evil_xml[] =
    "&lt;p&gt;&lt;small&gt;Jan 9, 2026 12:10 UTC&lt;/small&gt;&lt;br&gt;"
    "&lt;strong&gt;Identified&lt;/strong&gt; - "
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; &amp;amp; "
    "&amp;quot;quotes&amp;quot; it&amp;#39;s bad\xef\xbf\xbd byte"
    "&lt;br&gt;line 2&lt;/p&gt;";

static void
test_atom(void **state)
{
    struct fixture *f = *state;
    char *doc = render(feed_history_atom, &f->conf, f->inc, 3, "full.atom");

    /* Feed date: the latest listed incident (the draft is newer). */
    assert_has(doc, "<updated>2026-01-09T14:00:00.000Z</updated>\n"
                    "<link rel=\"alternate\"");
    assert_int_equal(count(doc, "<entry>"), 2);
    assert_int_equal(count(doc, "</entry>"), 2);
    assert_lacks(doc, "Secret draft");
    assert_lacks(doc, "drf000000001");
    assert_order(doc, "Database upgrade", "Database &lt;outage&gt;");

    assert_has(doc,
               "<entry>\n"
               "<id>https://status.example.test/incidents/mnt000000001</id>\n"
               "<title>Database upgrade</title>\n"
               "<updated>2026-01-09T14:00:00.000Z</updated>\n"
               "<published>2026-01-09T14:00:00.000Z</published>\n"
               "<link rel=\"alternate\" type=\"text/html\" "
               "href=\"https://status.example.test/#incident-mnt000000001\"/>"
               "\n<content type=\"html\">"
               "&lt;p&gt;&lt;strong&gt;Scheduled maintenance&lt;/strong&gt; "
               "from Jan 10, 2026 12:00 UTC until Jan 10, 2026 14:00 UTC"
               "&lt;/p&gt;&lt;p&gt;&lt;small&gt;Jan 9, 2026 14:00 UTC"
               "&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Scheduled"
               "&lt;/strong&gt; - We will upgrade the database.&lt;/p&gt;"
               "</content>\n</entry>\n");
    assert_has(doc,
               "<id>https://status.example.test/incidents/inc000000001</id>\n"
               "<title>Database &lt;outage&gt; &amp; &#39;co&#39;</title>\n"
               "<updated>2026-01-09T13:00:00.000Z</updated>\n"
               "<published>2026-01-09T12:00:00.000Z</published>\n");
    /* Updates newest first, the evil body escaped twice. */
    assert_has(doc, "<content type=\"html\">&lt;p&gt;&lt;small&gt;"
                    "Jan 9, 2026 13:00 UTC&lt;/small&gt;&lt;br&gt;"
                    "&lt;strong&gt;Resolved&lt;/strong&gt; - Fixed."
                    "&lt;/p&gt;");
    assert_has(doc, evil_xml);
    assert_order(doc, "Resolved", "Identified");
    assert_order(doc, "Identified", "Investigating");
    assert_lacks(doc, "<script");
    assert_lacks(doc, "&lt;script");
    assert_lacks(doc, "\x01");
    assert_lacks(doc, "\xff");
    ph_free(doc);
}

static void
test_rss(void **state)
{
    struct fixture *f = *state;
    char *doc = render(feed_history_rss, &f->conf, f->inc, 3, "full.rss");

    assert_has(doc, "<lastBuildDate>Fri, 09 Jan 2026 14:00:00 +0000"
                    "</lastBuildDate>\n"
                    "<pubDate>Fri, 09 Jan 2026 14:00:00 +0000</pubDate>\n");
    assert_int_equal(count(doc, "<item>"), 2);
    assert_lacks(doc, "Secret draft");
    assert_has(doc,
               "<item>\n<title>Database &lt;outage&gt; &amp; &#39;co&#39;"
               "</title>\n"
               "<link>https://status.example.test/#incident-inc000000001"
               "</link>\n<guid isPermaLink=\"false\">"
               "https://status.example.test/incidents/inc000000001</guid>\n"
               "<pubDate>Fri, 09 Jan 2026 12:00:00 +0000</pubDate>\n"
               "<description>&lt;p&gt;&lt;small&gt;Jan 9, 2026 13:00 UTC");
    assert_has(doc, "<title>Database upgrade</title>\n");
    assert_has(doc, "Scheduled maintenance&lt;/strong&gt; from Jan 10, "
                    "2026 12:00 UTC until Jan 10, 2026 14:00 UTC");
    assert_has(doc, evil_xml);
    assert_order(doc, "Database upgrade", "Database &lt;outage&gt;");
    assert_lacks(doc, "<script");
    assert_lacks(doc, "\x01");
    assert_lacks(doc, "\xff");
    ph_free(doc);
}

/* Without page.url: tag URIs for ids, relative links, no self links. */
static void
test_no_url(void **state)
{
    struct fixture *f = *state;
    struct pharos_conf cf;
    char *atom, *rss;

    make_conf(&cf, NULL);
    atom = render(feed_history_atom, &cf, f->inc, 3, "nourl.atom");
    assert_has(atom, "<id>tag:pharos.invalid,2024:page1/history</id>");
    assert_has(atom, "<id>tag:pharos.invalid,2024:page1/incidents/"
                     "inc000000001</id>");
    assert_has(atom, "<link rel=\"alternate\" type=\"text/html\" "
                     "href=\"./\"/>");
    assert_has(atom, "href=\"./#incident-inc000000001\"");
    assert_lacks(atom, "rel=\"self\"");
    rss = render(feed_history_rss, &cf, f->inc, 3, "nourl.rss");
    assert_has(rss, "<link>./</link>");
    assert_has(rss, "<link>./#incident-mnt000000001</link>");
    assert_has(rss, "<guid isPermaLink=\"false\">tag:pharos.invalid,2024:"
                    "page1/incidents/mnt000000001</guid>");
    assert_lacks(rss, "atom:link");
    ph_free(atom);
    ph_free(rss);
}

/* Malformed UTF-8 becomes U+FFFD per maximal subpart; controls go. */
static void
test_utf8(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
         "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        /* overlong */
        {"a\xc0\xafz", "a\xef\xbf\xbd\xef\xbf\xbdz"},
        /* surrogate */
        {"a\xed\xa0\x80z", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz"},
        /* truncated */
        {"a\xe2\x82z", "a\xef\xbf\xbdz"},
        /* past U+10FFFF */
        {"a\xf4\x90\x80\x80z",
         "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz"},
        /* U+FFFF is not an XML character */
        {"a\xef\xbf\xbfz", "a\xef\xbf\xbdz"},
        /* C1, DEL and C0 controls are dropped */
        {"a\xc2\x85z\x7f\x1b[0m\x08", "az[0m"},
        {"tab\there", "tab\there"},
        {"end\xe2", "end\xef\xbf\xbd"},
    };
    struct pharos_conf cf;
    struct incident inc;
    struct inc_edit e;
    char want[256];

    (void)state;
    make_conf(&cf, "https://s.example.test");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *doc;

        memset(&inc, 0, sizeof(inc));
        inc_edit_init(&e);
        e.name = cases[i].in;
        apply(&inc, "inc000000009", "upd000000009", &e, T0);
        doc = render(feed_history_atom, &cf, &inc, 1, NULL);
        snprintf(want, sizeof(want), "<title>%s</title>", cases[i].out);
        if (strstr(doc, want) == NULL) {
            fail_msg("case %zu: want %s in\n%s", i, want, doc);
        }
        ph_free(doc);
        incident_free(&inc);
    }
}

/* 60 incidents: the newest 50 are listed, in the order given. */
static void
test_cap(void **state)
{
    struct pharos_conf cf;
    struct incident *incs = ph_calloc(60, sizeof(*incs));
    char *atom, *rss;

    (void)state;
    assert_non_null(incs);
    make_conf(&cf, "https://s.example.test");
    for (int i = 0; i < 60; i++) {
        struct inc_edit e;
        char id[16], name[32];

        inc_edit_init(&e);
        snprintf(id, sizeof(id), "inc%09d", 60 - i);
        snprintf(name, sizeof(name), "Incident %d", 60 - i);
        e.name = name;
        e.body = "Looking.";
        apply(&incs[i], id, "upd000000001", &e, T0 + (60 - i) * MIN);
    }
    atom = render(feed_history_atom, &cf, incs, 60, NULL);
    assert_int_equal(count(atom, "<entry>"), FEED_HISTORY_ENTRIES);
    assert_order(atom, "<title>Incident 60</title>",
                 "<title>Incident 11</title>");
    assert_lacks(atom, "<title>Incident 10</title>");
    assert_has(atom, "<updated>2026-01-09T13:00:00.000Z</updated>\n<link");
    rss = render(feed_history_rss, &cf, incs, 60, NULL);
    assert_int_equal(count(rss, "<item>"), FEED_HISTORY_ENTRIES);
    assert_lacks(rss, "<title>Incident 10</title>");
    ph_free(atom);
    ph_free(rss);
    for (int i = 0; i < 60; i++) {
        incident_free(&incs[i]);
    }
    ph_free(incs);
}

/* Long updates: the newest always shows, older ones stop at the budget
 * with a note; the whole document stays bounded. (The model caps an
 * incident's text at INC_TEXT_MAX, so two updates of INC_BODY_MAX are
 * as long as it gets; their HTML escaping still exceeds the budget.) */
static void
test_budget(void **state)
{
    struct pharos_conf cf;
    struct incident inc;
    char *body = ph_malloc(INC_BODY_MAX + 1);
    char *doc;

    (void)state;
    assert_non_null(body);
    memset(body, '"', INC_BODY_MAX);
    body[INC_BODY_MAX] = '\0';
    make_conf(&cf, "https://s.example.test");
    memset(&inc, 0, sizeof(inc));
    for (int i = 0; i < 2; i++) {
        struct inc_edit e;

        inc_edit_init(&e);
        e.name = "Long";
        e.status = i < 1 ? INC_INVESTIGATING : INC_RESOLVED;
        e.body = body;
        apply(&inc, "inc000000001", "upd000000001", &e, T0 + i * MIN);
    }
    doc = render(feed_history_atom, &cf, &inc, 1, NULL);
    /* Each quote is &quot; in HTML, &amp;quot; in the XML. */
    assert_int_equal(count(doc, "&amp;quot;"), INC_BODY_MAX);
    assert_has(doc, "Resolved");
    assert_has(doc, "&lt;p&gt;&lt;small&gt;1 earlier update not shown"
                    "&lt;/small&gt;&lt;/p&gt;</content>");
    assert_true(strlen(doc) < 300 * 1024);
    ph_free(doc);
    incident_free(&inc);
    ph_free(body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker),
        cmocka_unit_test(test_rfc822),
        cmocka_unit_test(test_empty),
        cmocka_unit_test_setup_teardown(test_atom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_url, setup, teardown),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_budget),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
