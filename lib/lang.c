/*
 * lang.c - the shipped languages and Accept-Language negotiation.
 */
#include "lang.h"

#include <string.h>
#include <strings.h>

static const char *const codes[PH_LANG_COUNT] = {
#define PH_LANG_CODE(e, code, name) code,
    PH_LANGS(PH_LANG_CODE)
#undef PH_LANG_CODE
};

static const char *const names[PH_LANG_COUNT] = {
#define PH_LANG_NAME(e, code, name) name,
    PH_LANGS(PH_LANG_NAME)
#undef PH_LANG_NAME
};

int
lang_find(const char *s)
{
    for (int i = 0; s != NULL && i < PH_LANG_COUNT; i++) {
        if (strcasecmp(s, codes[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
lang_code(int lang)
{
    return lang >= 0 && lang < PH_LANG_COUNT ? codes[lang] : codes[0];
}

const char *
lang_name(int lang)
{
    return lang >= 0 && lang < PH_LANG_COUNT ? names[lang] : names[0];
}

/* 1 when tag[0..len) equals s, ignoring case. */
static int
tag_is(const char *tag, size_t len, const char *s)
{
    return strlen(s) == len && strncasecmp(tag, s, len) == 0;
}

/* 1 when tag[0..len) starts with the subtags of prefix ("zh-hant"
 * matches "zh-Hant" and "zh-Hant-TW", not "zh-Hanto"). */
static int
tag_has_prefix(const char *tag, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && strncasecmp(tag, prefix, n) == 0 &&
           (len == n || tag[n] == '-');
}

int
lang_match_tag(const char *tag, size_t len)
{
    size_t primary = 0;

    if (tag == NULL || len == 0 || len > 64) {
        return -1;
    }
    for (int i = 0; i < PH_LANG_COUNT; i++) {
        if (tag_is(tag, len, codes[i])) {
            return i;
        }
    }
    while (primary < len && tag[primary] != '-') {
        primary++;
    }
    if (tag_is(tag, primary, "zh")) {
        /* Simplified script only: Traditional readers get the fallback
         * rather than a script they may not read. */
        if (tag_has_prefix(tag, len, "zh-hant") ||
            tag_has_prefix(tag, len, "zh-tw") ||
            tag_has_prefix(tag, len, "zh-hk") ||
            tag_has_prefix(tag, len, "zh-mo")) {
            return -1;
        }
        return PH_LANG_ZH_CN;
    }
    if (tag_is(tag, primary, "pt")) {
        return PH_LANG_PT_BR;
    }
    for (int i = 0; i < PH_LANG_COUNT; i++) {
        if (strchr(codes[i], '-') == NULL && tag_is(tag, primary, codes[i])) {
            return i;
        }
    }
    return -1;
}

/* Parses "q=0.8" (after the ';' and spaces) into thousandths; -1 when
 * malformed. */
static int
parse_q(const char *s, size_t len)
{
    int q = 0, scale = 1000;
    size_t i = 2;

    if (len < 3 || (s[0] != 'q' && s[0] != 'Q') || s[1] != '=') {
        return -1;
    }
    if (s[i] == '1' || s[i] == '0') {
        q = (s[i] - '0') * 1000;
        i++;
    } else {
        return -1;
    }
    if (i < len && s[i] == '.') {
        i++;
        for (int d = 0; i < len && d < 3; d++, i++) {
            if (s[i] < '0' || s[i] > '9') {
                return -1;
            }
            scale /= 10;
            q += (s[i] - '0') * scale;
        }
    }
    return i == len && q <= 1000 ? q : -1;
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t';
}

int
lang_negotiate(const char *hdr, int fallback)
{
    size_t n, i = 0;
    int best = -1, best_q = 0;

    if (hdr == NULL) {
        return fallback;
    }
    n = strnlen(hdr, LANG_ACCEPT_MAX);
    while (i < n) {
        size_t start, end, tl;
        int q = 1000, lang;

        while (i < n && (is_space(hdr[i]) || hdr[i] == ',')) {
            i++;
        }
        start = i;
        while (i < n && hdr[i] != ',') {
            i++;
        }
        end = i;
        /* one element: tag [ OWS ";" OWS "q=" qvalue ] */
        tl = 0;
        while (start + tl < end && hdr[start + tl] != ';' &&
               !is_space(hdr[start + tl])) {
            tl++;
        }
        {
            size_t p = start + tl;
            while (p < end && is_space(hdr[p])) {
                p++;
            }
            if (p < end && hdr[p] == ';') {
                size_t qs, qe = end;
                p++;
                while (p < end && is_space(hdr[p])) {
                    p++;
                }
                qs = p;
                while (qe > qs && is_space(hdr[qe - 1])) {
                    qe--;
                }
                q = parse_q(hdr + qs, qe - qs);
            } else if (p < end) {
                q = -1;    /* junk after the tag */
            }
        }
        if (q <= 0 || tl == 0) {
            continue;
        }
        lang = lang_match_tag(hdr + start, tl);
        if (lang >= 0 && q > best_q) {
            best = lang;
            best_q = q;
        }
    }
    return best >= 0 ? best : fallback;
}
