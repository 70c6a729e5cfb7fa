/*
 * probe_curl.c - timing and certificate expiry of a finished libcurl
 * transfer (probe_curl.h).
 */
#include "probe_curl.h"

#include <string.h>
#include <time.h>

void
probe_curl_timing(CURL *easy, struct check_timing *t)
{
    curl_off_t v;

    memset(t, 0, sizeof(*t));
    if (curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &v) == CURLE_OK) {
        t->dns_us = (uint64_t)v;
    }
    if (curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &v) == CURLE_OK) {
        t->connect_us = (uint64_t)v;
    }
    if (curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &v) ==
        CURLE_OK) {
        t->tls_us = (uint64_t)v;
    }
    if (curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &v) ==
        CURLE_OK) {
        t->first_byte_us = (uint64_t)v;
    }
    if (curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &v) == CURLE_OK) {
        t->total_us = (uint64_t)v;
    }
}

int64_t
probe_curl_cert_not_after(CURL *easy)
{
    struct curl_certinfo *ci = NULL;
    struct tm tm;

    if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
        ci == NULL || ci->num_of_certs < 1) {
        return 0;
    }
    /* The first certificate is the server's own. */
    for (struct curl_slist *s = ci->certinfo[0]; s != NULL; s = s->next) {
        if (strncmp(s->data, "Expire date:", 12) == 0) {
            memset(&tm, 0, sizeof(tm));
            if (strptime(s->data + 12, "%b %d %H:%M:%S %Y", &tm) == NULL) {
                return 0;
            }
            return (int64_t)timegm(&tm);
        }
    }
    return 0;
}
