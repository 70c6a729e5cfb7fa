/*
 * url.c - URL splitting on libcurl's URL API (url.h).
 */
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ph_err.h"

/* Copies a part libcurl returned into dst; 0, or -1 when it does not fit. */
static int
copy_part(char *dst, size_t len, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;

    if (n >= len) {
        return -1;
    }
    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
    return 0;
}

/* 1 when part is present in h (even empty, as in "http://@host/"). */
static int
has_part(CURLU *h, CURLUPart part)
{
    char *s = NULL;
    CURLUcode rc = curl_url_get(h, part, &s, 0);

    curl_free(s);
    return rc == CURLUE_OK;
}

int
url_split(const char *url, struct url_parts *ret, char *err, size_t errlen)
{
    CURLU *h = NULL;
    CURLUcode uc;
    char *scheme = NULL, *host = NULL, *zone = NULL, *port = NULL;
    size_t slen = strcspn(url, ":"), hl;
    int result = PH_EINVAL;

    memset(ret, 0, sizeof(*ret));
    /* libcurl takes "http:/h" and "http:///h" as "http://h"; an operator
     * or subscriber who wrote those meant something else. */
    if (url[slen] != ':' || strncmp(url + slen, "://", 3) != 0 ||
        url[slen + 3] == '/' || url[slen + 3] == '\\') {
        snprintf(err, errlen, "the URL must be scheme://host/...");
        return PH_EINVAL;
    }
    h = curl_url();
    if (h == NULL) {
        return PH_ENOMEM;
    }
    /* The flags of the easy interface, less scheme guessing: what this
     * accepts is what CURLOPT_URL will parse, to the same host. */
    uc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        snprintf(err, errlen, "bad URL: %s", curl_url_strerror(uc));
        result = uc == CURLUE_OUT_OF_MEMORY ? PH_ENOMEM : PH_EINVAL;
        goto out;
    }
    if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_HOST, &host, CURLU_URLDECODE) !=
            CURLUE_OK ||
        curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
            CURLUE_OK) {
        snprintf(err, errlen, "the URL has no valid host");
        goto out;
    }
    (void)curl_url_get(h, CURLUPART_ZONEID, &zone, 0);
    hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        ret->ipv6 = 1;
        host[hl - 1] = '\0';
        memmove(host, host + 1, hl - 1);
    }
    if (host[0] == '\0' || copy_part(ret->host, sizeof(ret->host), host) ||
        copy_part(ret->scheme, sizeof(ret->scheme), scheme) ||
        copy_part(ret->zoneid, sizeof(ret->zoneid), zone)) {
        snprintf(err, errlen, "the URL has no valid host");
        goto out;
    }
    ret->port = (unsigned)strtoul(port, NULL, 10);
    ret->userinfo = has_part(h, CURLUPART_USER) ||
                    has_part(h, CURLUPART_PASSWORD) ||
                    has_part(h, CURLUPART_OPTIONS);
    result = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(zone);
    curl_free(port);
    curl_url_cleanup(h);
    return result;
}
