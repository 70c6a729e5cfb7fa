/*
 * check_http.h - the http check type: its part of struct check (u.http).
 * Included by check.h through the registry (lib/check_types.h); the key
 * table is in check_http.c, the probe in agent/probe/probe_http.c.
 */
#ifndef PH_CHECK_HTTP_H
#define PH_CHECK_HTTP_H

#include <stddef.h>

#define CHECK_MAX_EXPECT_STATUS 16
#define CHECK_MAX_HEADERS 32

struct http_secret;
struct http_step;
struct http_assert;

struct check_header {
    char *name;
    char *value;
};

struct check_http {
    char *url;
    char *method;                 /* NULL means GET */
    struct check_header *headers; /* nheaders entries, owned */
    size_t nheaders;
    char *body;                   /* request body or NULL */
    int follow_redirects;         /* default 0 */
    int expect_status[CHECK_MAX_EXPECT_STATUS];
    size_t nexpect_status;        /* 0 means 200-399 */
    char *body_contains;
    char *body_not_contains;
    char *body_regex;             /* POSIX extended regex */
    char *json_path;              /* "$.a.b" */
    char *json_equals;            /* compared with the value as text */
    int insecure;                 /* 1 disables TLS verification */
    char *ca_file;
    /* Multi-step checks and assertions (check_http_spec.h), owned. */
    struct http_secret *secrets;
    size_t nsecrets;
    struct http_step *steps;      /* nsteps > 0: run these, not url */
    size_t nsteps;
    struct http_assert *asserts;  /* on the single request */
    size_t nasserts;
};

#endif
