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

#include "conf.h"
#include "registry.h"
/* Generated: the declaration part (struct check_<name>) of every
 * registered type's file checks/<name>.c, copied out by
 * cmake/check_types.cmake. */
#include "check_types_inc.h"

#define CHECK_ID_MAX 64        /* bytes, including NUL */
#define CHECK_ERROR_MAX 160    /* bytes, including NUL */
#define CHECK_MAX_REGIONS 32

/* One per line of the registry (registry.h): CHECK_HTTP, ...; the
 * numbers are only used inside one process (the wire and the store name
 * types by their names). */
#define CHECK_TYPE_ENUM(n, N) CHECK_##N,
enum check_type {
    CHECK_NONE = 0,
    CHECK_TYPES(CHECK_TYPE_ENUM)
};
#undef CHECK_TYPE_ENUM

/* Outcome of one probe run (ARCHITECTURE.md "Result"). */
enum outcome {
    OUTCOME_UP = 1,   /* all assertions pass within degraded_over */
    OUTCOME_SLOW = 2, /* passes, but slow or a soft assertion failed */
    OUTCOME_DOWN = 3, /* hard assertion failed, timeout, error */
};

enum check_impact { IMPACT_MAJOR = 0, IMPACT_PARTIAL = 1 };
enum check_minority { MINORITY_OPERATIONAL = 0, MINORITY_DEGRADED = 1 };

struct check {
    char id[CHECK_ID_MAX];
    char component_id[CHECK_ID_MAX];
    enum check_type type;
    uint32_t interval_ms;
    uint32_t timeout_ms;
    uint32_t degraded_over_ms;    /* 0 = never slow by latency */
    uint32_t cert_expiry_days;    /* soft: cert expiring sooner -> slow */
    char *source_address;         /* local address to bind, or NULL */
    uint32_t confirm_after_ms;    /* re-probe delay after a change; 0 off */
    int watch;                    /* hold a connection to the target open
                                   * and probe when it is lost (agent) */
    /* Where this region's runs sit in the interval, after the check's
     * own phase: set per region by the collector in the plan
     * (check_region_offset), never in pharos.yml. */
    uint32_t phase_offset_ms;

    /* State-engine settings (collector only; not in the agent plan). */
    uint32_t fail_after;
    uint32_t recover_after;
    uint32_t quorum;              /* absolute count, 0 = use quorum_pct */
    uint32_t quorum_pct;          /* percent of assigned regions; 0 = majority */
    char **regions;               /* nregions entries, owned; 0 = all */
    size_t nregions;
    enum check_minority minority;
    enum check_impact impact;

    /* The type's own part, u.<name> (struct check_<name> from its
     * file's declaration part); its key table's offsets point into it. */
#define CHECK_TYPE_MEMBER(n, N) struct check_##n n;
    union {
        CHECK_TYPES(CHECK_TYPE_MEMBER)
    } u;
#undef CHECK_TYPE_MEMBER
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

/* Why a probe ran (the proto's ProbeKind). */
enum probe_kind {
    PROBE_SCHEDULED = 0,          /* its interval */
    PROBE_CONFIRM = 1,            /* re-probe confirming a changed outcome */
    PROBE_RECHECK = 2,            /* asked by the collector */
    PROBE_WATCH = 3,              /* the watched connection was lost or
                                   * came back (check key `watch`) */
};

struct check_result {
    char check_id[CHECK_ID_MAX];
    int64_t started_at_ms;        /* wall clock, unix ms */
    enum outcome outcome;
    uint32_t latency_ms;
    struct check_timing timing;
    int32_t status_code;          /* HTTP status, SMTP reply code, DNS rcode */
    /* enum probe_kind. It sits in what was padding, so the spool's
     * record (a raw struct check_result) keeps its size and layout; a
     * record from an older agent may hold anything there, so readers
     * treat a value over PROBE_WATCH as PROBE_SCHEDULED. */
    uint8_t kind;
    /* 1 when the outcome differs from the one the check's results had
     * established (agent only, set by its scheduler: the report sends
     * such news at once). Not on the wire; a spooled record may hold
     * anything here and is never read for it. */
    uint8_t changed;
    uint8_t reserved_[2];
    int64_t cert_not_after;       /* unix seconds; 0 = none seen */
    char error[CHECK_ERROR_MAX];  /* "" when up */
};

/*
 * A check type, declared once in its own file checks/<name>.c and
 * listed in the registry checks/registry.h (collectd module_register,
 * Fluent Bit config_map). Its key table drives decoding pharos.yml,
 * printing the effective config, --help-config, freeing, copying and
 * comparing its part of struct check, and carrying it on the wire (the
 * table prints it into the plan and decodes it back: lib/wire.c).
 */
struct check_kind {
    const char *name;             /* `type:` in YAML, the proto oneof field */
    enum check_type type;
    /* Its keys after those of every check; offsets from struct check. */
    const struct conf_opt *opts;
    /* Cross-field rules and derived values, after decoding. Adds errors
     * as "check '<id>': ..." at node; returns 0 or -1. May be NULL. */
    int (*finish)(struct check *c, const struct conf_node *node,
                  const char *file, struct conf_errs *errs);
};

/*
 * Which types an agent runs: it names them in this header of its plan
 * requests ("http,tcp,dns,smtp,icmp,grpc"); an agent without the header
 * predates the registry and knows CHECK_TYPES_FROZEN. The collector
 * leaves checks of other types out of that agent's plan (an agent
 * rejects a whole plan holding a type it does not know).
 */
#define CHECK_TYPES_HEADER "Pharos-Check-Types"
#define CHECK_TYPES_FROZEN "http,tcp,dns,smtp"
#define CHECK_TYPES_LIST_MAX 256

/* Writes the names of the registered types whose bit (1u << type) is in
 * mask (UINT32_MAX: all), comma-separated, into out. */
void check_type_list(uint32_t mask, char *out, size_t len);
/* The bit (1u << type) of each registered type named in the comma-
 * separated list (unknown names are ignored). Borrows list. */
uint32_t check_type_mask(const char *list);

/* The kind of type t or of the name ("http"), or NULL. */
const struct check_kind *check_kind_of(enum check_type t);
const struct check_kind *check_kind_named(const char *name);
/* The i-th registered kind, or NULL past the last. */
const struct check_kind *check_kind_at(size_t i);

/* Keys every check has, in the order they are printed: id and type;
 * those a `defaults:` section may set (their defaults are its
 * defaults); regions. Offsets from struct check. */
extern const struct conf_opt check_head_opts[];
extern const struct conf_opt check_common_opts[];
extern const struct conf_opt check_tail_opts[];

/* Staggering (issue #20): the offset of the idx-th of n regions that
 * run a check every interval_ms, interval_ms * idx / n, so that n
 * regions probe a target evenly spread over the interval instead of
 * together. Pure. */
uint32_t check_region_offset(uint32_t interval_ms, size_t idx, size_t n);

/* Frees the contents of c (not c itself); safe on a zeroed struct. */
void check_free(struct check *c);
/* Deep-copies src into dst (dst is overwritten). Returns 0 or PH_ENOMEM;
 * on failure dst holds nothing that needs freeing. */
int check_copy(struct check *dst, const struct check *src);
/* Returns 1 if a and b describe the same probe (what the agent runs). */
int check_probe_equal(const struct check *a, const struct check *b);

const char *check_type_name(enum check_type t);
/* Returns the type of a registered kind's name ("http"), or 0. */
enum check_type check_type_parse(const char *s);
const char *outcome_name(enum outcome o);
/* "scheduled", "confirm" or "recheck"; out-of-range values read as
 * scheduled (see struct check_result.kind). */
const char *probe_kind_name(unsigned kind);

/* Formats into errbuf like snprintf, for result->error. */
void check_result_seterr(struct check_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
