/*
 * probe_curl.h - what the probes that use libcurl (http, its multi-step
 * form, grpc) read back from a finished transfer alike: the timing
 * phases and the server certificate's expiry.
 */
#ifndef PH_PROBE_CURL_H
#define PH_PROBE_CURL_H

#include <stdint.h>

#include <curl/curl.h>

#include "check.h"

/* The transfer's phases (dns, connect, tls, first byte, total) into *t;
 * a phase curl cannot tell stays 0. */
void probe_curl_timing(CURL *easy, struct check_timing *t);

/* The server certificate's not-after (Unix seconds), or 0 when there is
 * no certificate or curl gave no expiry (CURLOPT_CERTINFO must be on). */
int64_t probe_curl_cert_not_after(CURL *easy);

#endif
