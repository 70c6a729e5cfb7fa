/*
 * lang.h - the languages Pharos ships (the page's catalogues in
 * web/i18n/<code>.json, the notification emails' in
 * collector/core/notify_msgs.c) and Accept-Language negotiation.
 *
 * Pure: no I/O. Codes are BCP 47 tags as written in page.language and in
 * the catalogue file names; English (index 0) is every fallback.
 */
#ifndef PH_LANG_H
#define PH_LANG_H

#include <stddef.h>

/* X(enum suffix, code, name in the language itself) */
#define PH_LANGS(X)                                                        \
    X(EN, "en", "English")                                                 \
    X(DE, "de", "Deutsch")                                                 \
    X(FR, "fr", "Fran\xc3\xa7" "ais")                                      \
    X(ES, "es", "Espa\xc3\xb1ol")                                          \
    X(PT_BR, "pt-BR", "Portugu\xc3\xaas (Brasil)")                         \
    X(JA, "ja", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e")                    \
    X(ZH_CN, "zh-CN", "\xe7\xae\x80\xe4\xbd\x93\xe4\xb8\xad\xe6\x96\x87")

enum ph_lang {
#define PH_LANG_ENUM(e, code, name) PH_LANG_##e,
    PH_LANGS(PH_LANG_ENUM)
#undef PH_LANG_ENUM
    PH_LANG_COUNT
};

/* Longest Accept-Language value looked at; the rest is ignored. */
#define LANG_ACCEPT_MAX 1024

/* The shipped language whose code is s (case-insensitive), or -1. */
int lang_find(const char *s);
/* The code of lang ("pt-BR"); "en" for an index out of range. */
const char *lang_code(int lang);
/* The language's own name ("Deutsch"). */
const char *lang_name(int lang);
/* The shipped language closest to one tag: the exact code, else the
 * primary subtag ("de-AT" -> de, "pt" or "pt-PT" -> pt-BR, "zh",
 * "zh-Hans*" or "zh-SG" -> zh-CN; "zh-TW", "zh-HK" and "zh-Hant*" match
 * nothing). Borrows tag (need not be NUL-terminated: len bytes). -1 when
 * none. */
int lang_match_tag(const char *tag, size_t len);
/* The best shipped language for an Accept-Language header value (RFC
 * 9110 12.5.4: tags with optional ;q=, highest q first, ties in the
 * order written, q=0 excluded, "*" ignored), or fallback when none
 * matches. Malformed entries are skipped; only the first
 * LANG_ACCEPT_MAX bytes are read. hdr may be NULL. */
int lang_negotiate(const char *hdr, int fallback);

#endif
