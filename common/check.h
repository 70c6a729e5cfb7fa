/*
 * check.h - check definitions and check results, shared by the collector
 * (which reads them from YAML and sends them in the plan), the agent (which
 * receives the plan and runs them) and `pharos-agent once`.
 *
 * Ownership: every char * in a struct check is owned by the struct and freed
 * by check_free(). Results use fixed-size fields so they can be queued and
 * spooled without allocation.
 */
#ifndef PH_CHECK_H
#define PH_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define CHECK_ID_MAX 64        /* bytes, including NUL */
#define CHECK_ERROR_MAX 160    /* bytes, including NUL */
#define CHECK_MAX_EXPECT_STATUS 16
#define CHECK_MAX_HEADERS 32
#define CHECK_MAX_ANSWERS 16
#define CHECK_MAX_REGIONS 32

enum check_type {
    CHECK_HTTP = 1,
    CHECK_TCP = 2,
    CHECK_DNS = 3,
    CHECK_SMTP = 4,
};

/* Outcome of one probe run (ARCHITECTURE.md "Result"). */
enum outcome {
    OUTCOME_UP = 1,   /* all assertions pass within degraded_over */
    OUTCOME_SLOW = 2, /* passes, but slow or a soft assertion failed */
    OUTCOME_DOWN = 3, /* hard assertion failed, timeout, error */
};

enum smtp_starttls {
    SMTP_STARTTLS_OPTIONAL = 0,
    SMTP_STARTTLS_REQUIRED = 1,
    SMTP_STARTTLS_OFF = 2,
};

enum check_impact { IMPACT_MAJOR = 0, IMPACT_PARTIAL = 1 };
enum check_minority { MINORITY_OPERATIONAL = 0, MINORITY_DEGRADED = 1 };

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
};

struct check_tcp {
    char *host;
    int port;
    int tls;
    int insecure;
    char *ca_file;
    char *sni;                    /* NULL means host */
    char *send;                   /* optional payload */
    char *expect;                 /* optional substring of the reply */
};

struct check_dns {
    char *name;
    char *rrtype;                 /* A AAAA CNAME MX TXT NS SOA */
    char *server;                 /* resolver IP; NULL = system */
    int port;                     /* 0 = 53 */
    char *expect_rcode;           /* NULL = NOERROR */
    char *expect_answers[CHECK_MAX_ANSWERS];
    size_t nexpect_answers;
};

struct check_smtp {
    char *host;
    int port;                     /* 0 = 25, or 465 with implicit_tls */
    int implicit_tls;
    enum smtp_starttls starttls;
    int insecure;
    char *ca_file;
    char *ehlo_name;              /* NULL = "pharos-agent" */
};

struct check {
    char id[CHECK_ID_MAX];
    char component_id[CHECK_ID_MAX];
    enum check_type type;
    uint32_t interval_ms;
    uint32_t timeout_ms;
    uint32_t degraded_over_ms;    /* 0 = never slow by latency */
    uint32_t cert_expiry_days;    /* soft: cert expiring sooner -> slow */
    char *source_address;         /* local address to bind, or NULL */

    /* State-engine settings (collector only; not in the agent plan). */
    uint32_t fail_after;
    uint32_t recover_after;
    uint32_t quorum;              /* absolute count, 0 = use quorum_pct */
    uint32_t quorum_pct;          /* percent of assigned regions; 0 = majority */
    char **regions;               /* nregions entries, owned; 0 = all */
    size_t nregions;
    enum check_minority minority;
    enum check_impact impact;

    union {
        struct check_http http;
        struct check_tcp tcp;
        struct check_dns dns;
        struct check_smtp smtp;
    } u;
};

/* Timing phases in microseconds since the start of the probe (cumulative,
 * like libcurl's *_TIME_T values); 0 when the phase did not happen. */
struct check_timing {
    uint64_t dns_us;
    uint64_t connect_us;
    uint64_t tls_us;
    uint64_t first_byte_us;
    uint64_t total_us;
};

struct check_result {
    char check_id[CHECK_ID_MAX];
    int64_t started_at_ms;        /* wall clock, unix ms */
    enum outcome outcome;
    uint32_t latency_ms;
    struct check_timing timing;
    int32_t status_code;          /* HTTP status, SMTP reply code, DNS rcode */
    int64_t cert_not_after;       /* unix seconds; 0 = none seen */
    char error[CHECK_ERROR_MAX];  /* "" when up */
};

/* Frees the contents of c (not c itself); safe on a zeroed struct. */
void check_free(struct check *c);
/* Deep-copies src into dst (dst is overwritten). Returns 0 or PH_ENOMEM;
 * on failure dst holds nothing that needs freeing. */
int check_copy(struct check *dst, const struct check *src);
/* Returns 1 if a and b describe the same probe (what the agent runs). */
int check_probe_equal(const struct check *a, const struct check *b);

const char *check_type_name(enum check_type t);
/* Returns the enum value for "http"/"tcp"/"dns"/"smtp", or 0. */
enum check_type check_type_parse(const char *s);
const char *outcome_name(enum outcome o);

/* Formats into errbuf like snprintf, for result->error. */
void check_result_seterr(struct check_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
