/*
 * brand.c - brand files into the published documents, and the catalogue
 * check (brand.h).
 */
#include "brand.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "lang.h"
#include "mem.h"
#include "notify_msgs.h"
#include "ph_err.h"

int
brand_publish(struct publish *p, const struct conf_page *pg, char *errbuf,
              size_t errlen)
{
    int result = 0;

    for (int i = 0; i < CONF_BRAND_COUNT; i++) {
        char url[64], err[512];
        const char *f = pharos_conf_brand_file(pg, (enum conf_brand_file)i,
                                               url, sizeof(url));
        int rc;

        if (f == NULL) {
            continue;
        }
        rc = publish_load_file(p, f, url, BRAND_FILE_MAX, err, sizeof(err));
        if (rc != 0 && result == 0) {
            snprintf(errbuf, errlen, "%s", err);
            result = rc;
        }
    }
    return result;
}

#define CATALOG_MAX_BYTES (256 * 1024)
#define KEYS_SHOWN 12

/* web_dir/i18n/<code>.json as a JSON object (returns new), or NULL. */
static json_t *
load_catalog(const char *web_dir, const char *code, char *why, size_t len)
{
    char path[1024];
    FILE *f;
    char *data = NULL;
    size_t n;
    json_t *o = NULL;
    struct ph_json_err jerr;

    snprintf(path, sizeof(path), "%s/i18n/%s.json", web_dir, code);
    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, len, "%s is missing", path);
        return NULL;
    }
    data = ph_malloc(CATALOG_MAX_BYTES + 1);
    if (data == NULL) {
        fclose(f);
        snprintf(why, len, "out of memory");
        return NULL;
    }
    n = fread(data, 1, CATALOG_MAX_BYTES + 1, f);
    fclose(f);
    if (n > CATALOG_MAX_BYTES) {
        snprintf(why, len, "%s is larger than %d bytes", path,
                 CATALOG_MAX_BYTES);
    } else {
        o = ph_json_parse(data, n, PH_JSON_REJECT_DUPS, &jerr);
        if (o == NULL || !json_is_object(o)) {
            snprintf(why, len, "%s is not a JSON object", path);
            json_decref(o);
            o = NULL;
        }
    }
    ph_free(data);
    return o;
}

static void
list_missing(struct buf *out, const char *where, const char *code,
             const char *const *keys, size_t n)
{
    buf_printf(out, "%s: %s lacks %zu key%s:", where, code, n,
               n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < KEYS_SHOWN; i++) {
        buf_printf(out, "%s %s", i ? "," : "", keys[i]);
    }
    if (n > KEYS_SHOWN) {
        buf_printf(out, ", and %zu more", n - KEYS_SHOWN);
    }
    buf_appends(out, " (English is shown instead)\n");
}

size_t
catalog_missing(const char *web_dir, struct buf *out)
{
    size_t lines = 0;
    char why[1200];
    json_t *en = load_catalog(web_dir, "en", why, sizeof(why));

    if (en == NULL) {
        buf_printf(out, "page catalogue: %s\n", why);
        lines++;
    }
    for (int l = 1; en != NULL && l < PH_LANG_COUNT; l++) {
        json_t *o = load_catalog(web_dir, lang_code(l), why, sizeof(why));
        const char *keys[64];
        size_t n = 0;
        const char *k;
        json_t *v;

        if (o == NULL) {
            buf_printf(out, "page catalogue: %s\n", why);
            lines++;
            continue;
        }
        json_object_foreach(en, k, v) {
            json_t *t = json_object_get(o, k);
            (void)v;
            if (k[0] == '_') {
                continue;   /* "_comment" and the like */
            }
            if (!json_is_string(t) || json_string_length(t) == 0) {
                if (n < sizeof(keys) / sizeof(keys[0])) {
                    keys[n] = k;
                }
                n++;
            }
        }
        if (n > 0) {
            list_missing(out, "page catalogue web/i18n", lang_code(l), keys,
                         n < 64 ? n : 64);
            lines++;
        }
        json_decref(o);
    }
    json_decref(en);
    for (int l = 1; l < PH_LANG_COUNT; l++) {
        const char *keys[NMSG_COUNT];
        size_t n = notify_msgs_missing(l, keys, NMSG_COUNT);
        if (n > 0) {
            list_missing(out, "email catalogue", lang_code(l), keys, n);
            lines++;
        }
    }
    return lines;
}
