/*
 * pharos_conf_brand.c - the page's language and branding keys of
 * pharos.yml: page.language and reader_language, accent colours with
 * their WCAG contrast, brand files (logo, favicon, custom CSS) and the
 * header and footer links.
 *
 * Brand files are untrusted in the sense that a typo or a copied file can
 * make the page load something from another host or run a script: each
 * must sit in the directory of pharos.yml or below it (symlinks resolved),
 * be a regular file under its cap, and have the content its extension
 * says; SVG without scripts, event handlers or external references, CSS
 * without @import or url()s to another host. The collector publishes
 * them under brand/ (collector/feed/brand.c).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lang.h"
#include "mem.h"
#include "ph_err.h"
#include "pharos_conf_int.h"

#define LINKS_MAX 8
#define LINK_LABEL_MAX 80
#define LINK_URL_MAX 1024
#define AA_TEXT 4.5           /* WCAG 2 AA, normal text */

static const struct conf_opt link_opts[] = {
    {"label", CONF_T_STR, offsetof(struct conf_link, label), NULL, 0, 0, 1,
     NULL, "text of the link"},
    {"url", CONF_T_STR, offsetof(struct conf_link, url), NULL, 0, 0, 1, NULL,
     "https://, http://, mailto: or a /path on the page's host"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

const struct conf_sub pc_header_links_sub = {
    .opts = link_opts,
    .size = sizeof(struct conf_link),
    .count_offset = offsetof(struct conf_page, nheader_links),
};
const struct conf_sub pc_footer_links_sub = {
    .opts = link_opts,
    .size = sizeof(struct conf_link),
    .count_offset = offsetof(struct conf_page, nfooter_links),
};

/* ---- colours ---- */

static int
parse_hex_color(const char *s, int rgb[3])
{
    if (s == NULL || strlen(s) != 7 || s[0] != '#') {
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        char part[3] = {s[1 + 2 * i], s[2 + 2 * i], '\0'};
        if (!isxdigit((unsigned char)part[0]) ||
            !isxdigit((unsigned char)part[1])) {
            return -1;
        }
        rgb[i] = (int)strtol(part, NULL, 16);
    }
    return 0;
}

static double
luminance(const int rgb[3])
{
    static const double w[3] = {0.2126, 0.7152, 0.0722};
    double l = 0;

    for (int i = 0; i < 3; i++) {
        double c = rgb[i] / 255.0;
        c = c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
        l += w[i] * c;
    }
    return l;
}

/* WCAG 2 contrast ratio, 1 to 21. */
static double
contrast(const int a[3], const int b[3])
{
    double la = luminance(a), lb = luminance(b);

    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

/* What web/app.js does with a colour that fails against bg: darken (or,
 * toward, lighten) in 5 % steps until every background passes. */
static void
adjust_for(const int rgb[3], const int (*bg)[3], size_t nbg, int lighten,
           int out[3])
{
    for (int k = 0; k <= 20; k++) {
        int ok = 1;
        for (int i = 0; i < 3; i++) {
            double v = lighten ? rgb[i] + (255 - rgb[i]) * k * 0.05
                               : rgb[i] * (1 - k * 0.05);
            out[i] = (int)lround(v);
        }
        for (size_t j = 0; j < nbg; j++) {
            ok = ok && contrast(out, bg[j]) >= AA_TEXT;
        }
        if (ok) {
            return;
        }
    }
}

/* Warns when key's colour is below AA against the backgrounds bg of the
 * page's scheme (web/style.css), saying the ratio and what the page will
 * show instead. */
static void
check_contrast(const struct conf_node *n, const char *key, const char *value,
               const int (*bg)[3], size_t nbg, int lighten, const char *file,
               struct conf_errs *errs, struct conf_errs *warns)
{
    const struct conf_node *k = pc_find_key(n, key);
    int rgb[3], adj[3];
    double worst = 21;
    size_t wi = 0;

    if (value == NULL || k == NULL) {
        return;
    }
    if (parse_hex_color(value, rgb) != 0) {
        conf_err(errs, file, k->line, k->col, "%s must look like #1f6feb",
                 key);
        return;
    }
    for (size_t j = 0; j < nbg; j++) {
        double r = contrast(rgb, bg[j]);
        if (r < worst) {
            worst = r;
            wi = j;
        }
    }
    if (worst >= AA_TEXT || warns == NULL) {
        return;
    }
    adjust_for(rgb, bg, nbg, lighten, adj);
    conf_err(warns, file, k->line, k->col,
             "warning: %s %s has a contrast of %.2f:1 against the %s page "
             "background #%02x%02x%02x, below the 4.5:1 of WCAG AA for text; "
             "the page %s it to #%02x%02x%02x for links",
             key, value, worst, lighten ? "dark" : "light", bg[wi][0],
             bg[wi][1], bg[wi][2], lighten ? "lightens" : "darkens", adj[0],
             adj[1], adj[2]);
}

/* ---- brand files ---- */

enum brand_kind { BRAND_IMAGE, BRAND_CSS };

struct brand_rule {
    const char *key;
    size_t cap;
    const char *exts;          /* space-separated, with the dot */
    enum brand_kind kind;
};

static const struct brand_rule brand_rules[] = {
    {"logo", 256 * 1024, ".png .jpg .jpeg .webp .svg", BRAND_IMAGE},
    {"favicon", 64 * 1024, ".ico .png .svg", BRAND_IMAGE},
    {"css", 64 * 1024, ".css", BRAND_CSS},
};

/* The extension of path (".png", lower case) into out[8]; 0 or -1. */
static int
file_ext(const char *path, char out[8])
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    size_t n;

    if (dot == NULL || (slash != NULL && dot < slash)) {
        return -1;
    }
    n = strlen(dot);
    if (n < 2 || n > 7) {
        return -1;
    }
    for (size_t i = 0; i <= n; i++) {
        out[i] = (char)tolower((unsigned char)dot[i]);
    }
    return 0;
}

static int
ext_allowed(const char *exts, const char *ext)
{
    size_t n = strlen(ext);

    for (const char *p = exts; (p = strstr(p, ext)) != NULL; p += n) {
        if ((p == exts || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) {
            return 1;
        }
    }
    return 0;
}

/* Case-insensitive search of needle in data[0..len). */
static const char *
find_ci(const char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (strncasecmp(data + i, needle, n) == 0) {
            return data + i;
        }
    }
    return NULL;
}

/* NULL when the SVG is safe to serve from the page's origin, else why
 * not. */
static const char *
svg_problem(const char *d, size_t len)
{
    static const char *const banned[] = {
        "<script", "javascript:", "<foreignobject", "<!entity", "<iframe",
        "<embed", "<object", "href=\"http", "href='http", "href=\"//",
        "href='//", "url(http", "url(//", "url('http", "url(\"http",
        "@import", "data:text/html",
    };

    if (find_ci(d, len, "<svg") == NULL) {
        return "is not an SVG image (no <svg element)";
    }
    for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++) {
        if (find_ci(d, len, banned[i]) != NULL) {
            return "holds a script, an embedded document or a reference to "
                   "another host";
        }
    }
    /* on*= event handler attributes: whitespace, "on", letters, '='. */
    for (size_t i = 1; i + 3 < len; i++) {
        if ((d[i - 1] == ' ' || d[i - 1] == '\t' || d[i - 1] == '\n' ||
             d[i - 1] == '\r' || d[i - 1] == '/') &&
            (d[i] == 'o' || d[i] == 'O') && (d[i + 1] == 'n' || d[i + 1] == 'N') &&
            isalpha((unsigned char)d[i + 2])) {
            size_t j = i + 2;
            while (j < len && isalpha((unsigned char)d[j])) {
                j++;
            }
            while (j < len && (d[j] == ' ' || d[j] == '\t')) {
                j++;
            }
            if (j < len && d[j] == '=') {
                return "holds an event handler attribute (on...=)";
            }
        }
    }
    return NULL;
}

/* NULL when the CSS asks for nothing from another host, else why. */
static const char *
css_problem(const char *d, size_t len)
{
    if (find_ci(d, len, "@import") != NULL) {
        return "uses @import (put the rules in this file)";
    }
    for (const char *p = d; (p = find_ci(p, len - (size_t)(p - d),
                                         "url(")) != NULL;) {
        p += 4;
        while ((size_t)(p - d) < len &&
               (*p == ' ' || *p == '\'' || *p == '"')) {
            p++;
        }
        if ((size_t)(p - d) + 5 <= len && strncasecmp(p, "data:", 5) == 0) {
            continue;   /* inline: no request */
        }
        if ((size_t)(p - d) + 2 <= len &&
            (strncmp(p, "//", 2) == 0 ||
             find_ci(p, len - (size_t)(p - d) < 8 ? len - (size_t)(p - d)
                                                  : 8, ":") != NULL)) {
            return "refers to another host or scheme in url() (the page "
                   "makes no third-party requests; use a path on the page's "
                   "host)";
        }
    }
    for (size_t i = 0; i < len; i++) {
        if (d[i] == '\0') {
            return "is not text";
        }
    }
    return NULL;
}

static const char *
image_problem(const char *ext, const unsigned char *d, size_t len)
{
    if (strcmp(ext, ".svg") == 0) {
        return svg_problem((const char *)d, len);
    }
    if (strcmp(ext, ".png") == 0) {
        return len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0
                   ? NULL
                   : "is not a PNG image";
    }
    if (strcmp(ext, ".jpg") == 0 || strcmp(ext, ".jpeg") == 0) {
        return len >= 3 && memcmp(d, "\xff\xd8\xff", 3) == 0
                   ? NULL
                   : "is not a JPEG image";
    }
    if (strcmp(ext, ".webp") == 0) {
        return len >= 12 && memcmp(d, "RIFF", 4) == 0 &&
                       memcmp(d + 8, "WEBP", 4) == 0
                   ? NULL
                   : "is not a WebP image";
    }
    if (strcmp(ext, ".ico") == 0) {
        return len >= 4 && memcmp(d, "\0\0\1\0", 4) == 0
                   ? NULL
                   : "is not an ICO image";
    }
    return "has an unknown type";
}

/* The directory of the config file, resolved, into out[PATH_MAX]. */
static int
conf_dir(const char *file, char *out)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(file, '/');

    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == file) {
        snprintf(dir, sizeof(dir), "/");
    } else {
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
    }
    return realpath(dir, out) != NULL ? 0 : -1;
}

/* Reads at most cap + 1 bytes of path (returns new in *ret). */
static int
read_capped(const char *path, size_t cap, unsigned char **ret,
            size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *d;
    size_t n;

    if (f == NULL) {
        return PH_EIO;
    }
    d = ph_malloc(cap + 1);
    if (d == NULL) {
        fclose(f);
        return PH_ENOMEM;
    }
    n = fread(d, 1, cap + 1, f);
    if (ferror(f)) {
        fclose(f);
        ph_free(d);
        return PH_EIO;
    }
    fclose(f);
    *ret = d;
    *ret_len = n;
    return 0;
}

/* Checks one brand file (*field, as written) and makes it absolute. */
static void
check_brand_file(const struct conf_node *n, const struct brand_rule *r,
                 char **field, const char *file, struct conf_errs *errs)
{
    const struct conf_node *k = pc_find_key(n, r->key);
    char dir[PATH_MAX], real[PATH_MAX], ext[8];
    char *joined = NULL;
    unsigned char *data = NULL;
    size_t len = 0, dl;
    const char *why = NULL;
    struct stat st;

    if (*field == NULL || k == NULL) {
        return;
    }
    if (file_ext(*field, ext) != 0 || !ext_allowed(r->exts, ext)) {
        conf_err(errs, file, k->line, k->col,
                 "page.%s '%s': the name must end in one of %s", r->key,
                 *field, r->exts);
        return;
    }
    joined = pc_relative_path(file, *field);
    if (joined == NULL || conf_dir(file, dir) != 0) {
        conf_err(errs, file, k->line, k->col, "page.%s: out of memory or "
                 "no directory of the configuration", r->key);
        goto out;
    }
    if (realpath(joined, real) == NULL) {
        conf_err(errs, file, k->line, k->col, "page.%s '%s': %s", r->key,
                 joined, strerror(errno));
        goto out;
    }
    dl = strlen(dir);
    if (strcmp(dir, "/") != 0 &&
        (strncmp(real, dir, dl) != 0 || real[dl] != '/')) {
        conf_err(errs, file, k->line, k->col,
                 "page.%s '%s' is outside %s, the directory of the "
                 "configuration (brand files must live there or below)",
                 r->key, real, dir);
        goto out;
    }
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        conf_err(errs, file, k->line, k->col,
                 "page.%s '%s' is not a regular file", r->key, real);
        goto out;
    }
    if ((size_t)st.st_size > r->cap) {
        conf_err(errs, file, k->line, k->col,
                 "page.%s '%s' is %lld bytes; at most %zu are allowed",
                 r->key, real, (long long)st.st_size, r->cap);
        goto out;
    }
    if (read_capped(real, r->cap, &data, &len) != 0) {
        conf_err(errs, file, k->line, k->col, "page.%s '%s': cannot read it",
                 r->key, real);
        goto out;
    }
    if (len > r->cap) {
        why = "grew past its cap while being read";
    } else if (r->kind == BRAND_CSS) {
        why = css_problem((const char *)data, len);
    } else {
        why = image_problem(ext, data, len);
    }
    if (why != NULL) {
        conf_err(errs, file, k->line, k->col, "page.%s '%s' %s", r->key,
                 real, why);
        goto out;
    }
    ph_free(*field);
    *field = ph_strdup(real);
out:
    ph_free(joined);
    ph_free(data);
}

/* ---- links ---- */

static const char *
link_url_problem(const char *u)
{
    size_t n = strlen(u);

    if (n == 0 || n > LINK_URL_MAX) {
        return "must be 1 to 1024 characters";
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' ||
            c == '>' || c == '\\' || c == '`') {
            return "must not hold spaces, quotes, angle brackets or "
                   "control characters";
        }
    }
    if (strncasecmp(u, "https://", 8) == 0 ||
        strncasecmp(u, "http://", 7) == 0 ||
        strncasecmp(u, "mailto:", 7) == 0 ||
        (u[0] == '/' && u[1] != '/')) {
        return NULL;
    }
    return "must start with https://, http://, mailto: or / (a path on "
           "the page's host)";
}

static void
decode_links(const struct conf_node *n, const char *key, const char *file,
             struct conf_link **ret, size_t *ret_n, struct conf_errs *errs)
{
    size_t count = 0;
    const struct conf_node *v =
        pc_seq_of(n, key, 0, LINKS_MAX, file, errs, &count);

    if (v == NULL) {
        return;
    }
    *ret = ph_calloc(count, sizeof(**ret));
    for (const struct conf_node *i = v->child; i && *ret; i = i->next) {
        struct conf_link *l = &(*ret)[*ret_n];
        const char *why = NULL;

        if (conf_decode(link_opts, i, l, file, errs) != 0) {
            conf_free_fields(link_opts, l);
            memset(l, 0, sizeof(*l));
            continue;
        }
        if (strlen(l->label) == 0 || strlen(l->label) > LINK_LABEL_MAX) {
            why = "label must be 1 to 80 bytes";
        } else {
            for (const char *p = l->label; *p && why == NULL; p++) {
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                    why = "label must not hold control characters";
                }
            }
        }
        if (why == NULL && (why = link_url_problem(l->url)) != NULL) {
            conf_err(errs, file, i->line, i->col, "page.%s: url '%s' %s",
                     key, l->url, why);
        } else if (why != NULL) {
            conf_err(errs, file, i->line, i->col, "page.%s: %s", key, why);
        }
        if (why != NULL) {
            conf_free_fields(link_opts, l);
            memset(l, 0, sizeof(*l));
            continue;
        }
        (*ret_n)++;
    }
}

/* ---- the page's keys ---- */

void
pc_decode_page_brand(const struct conf_node *n, const char *file,
                     struct conf_page *pg, struct conf_errs *errs,
                     struct conf_errs *warns)
{
    /* web/style.css: --bg and --card, light then dark. */
    static const int light[][3] = {{0xf6, 0xf7, 0xf9}, {0xff, 0xff, 0xff}};
    static const int dark[][3] = {{0x0e, 0x11, 0x16}, {0x16, 0x1b, 0x22}};
    char **fields[] = {&pg->logo, &pg->favicon, &pg->css};

    pg->lang = PH_LANG_EN;
    if (pg->language != NULL) {
        int l = lang_find(pg->language);
        if (l < 0) {
            const struct conf_node *k = pc_find_key(n, "language");
            conf_err(errs, file, k ? k->line : n->line, k ? k->col : n->col,
                     "unknown page.language '%s'; shipped: en, de, fr, es, "
                     "pt-BR, ja, zh-CN%s",
                     pg->language,
                     strcasecmp(pg->language, "auto") == 0
                         ? " (for the reader's own language set "
                           "page.reader_language: true)"
                         : "");
        } else {
            pg->lang = l;
            /* normalised spelling: "pt-br" is printed as "pt-BR" */
            ph_free(pg->language);
            pg->language = ph_strdup(lang_code(l));
        }
    }
    /* brand_color's format is checked with the other page keys. */
    {
        int rgb[3];
        if (pg->brand_color != NULL &&
            parse_hex_color(pg->brand_color, rgb) == 0) {
            check_contrast(n, "brand_color", pg->brand_color, light, 2, 0,
                           file, errs, warns);
        }
    }
    check_contrast(n, "brand_color_dark", pg->brand_color_dark, dark, 2, 1,
                   file, errs, warns);
    if (pg->logo != NULL && pg->logo_url != NULL) {
        const struct conf_node *k = pc_find_key(n, "logo");
        conf_err(errs, file, k ? k->line : n->line, k ? k->col : n->col,
                 "set page.logo (a file) or page.logo_url, not both");
    }
    for (size_t i = 0; i < sizeof(brand_rules) / sizeof(brand_rules[0]);
         i++) {
        check_brand_file(n, &brand_rules[i], fields[i], file, errs);
    }
    decode_links(n, "header_links", file, &pg->header_links,
                 &pg->nheader_links, errs);
    decode_links(n, "footer_links", file, &pg->footer_links,
                 &pg->nfooter_links, errs);
}

const char *
pharos_conf_brand_file(const struct conf_page *pg,
                       enum conf_brand_file which, char *url, size_t len)
{
    static const char *const names[CONF_BRAND_COUNT] = {"logo", "favicon",
                                                        "custom"};
    const char *f = which == CONF_BRAND_LOGO      ? pg->logo
                    : which == CONF_BRAND_FAVICON ? pg->favicon
                    : which == CONF_BRAND_CSS     ? pg->css
                                                  : NULL;
    char ext[8];

    if (len > 0) {
        url[0] = '\0';
    }
    if (f == NULL || file_ext(f, ext) != 0) {
        return NULL;
    }
    if (strcmp(ext, ".jpeg") == 0) {
        snprintf(ext, sizeof(ext), ".jpg");
    }
    snprintf(url, len, "brand/%s%s", names[which], ext);
    return f;
}
