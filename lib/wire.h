/*
 * wire.h - protobuf encode/decode of the agent <-> collector messages.
 *
 * The only includer of the generated *.pb-c.h. Decoding enforces the caps
 * below and rejects anything over them, with a message in errbuf; nothing
 * outside this file sees protobuf-c types.
 *
 * Ownership: encoders return a new buffer in *ret (free with ph_free);
 * decoders fill caller-owned structs to be freed with the matching _free.
 */
#ifndef PH_WIRE_H
#define PH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

#define WIRE_BATCH_MAX_BYTES (8u * 1024 * 1024)
#define WIRE_PLAN_MAX_BYTES (16u * 1024 * 1024)
#define WIRE_RESULTS_MAX 20000
#define WIRE_CHECKS_MAX 200000
#define WIRE_STRING_MAX 2048   /* any single string field */
#define WIRE_URL_MAX 2048
#define WIRE_BODY_MAX 65536    /* HTTP request body in a check */
/* A check's own keys as YAML (Check.spec_yaml): a body at the cap
 * escaped ("\x01" is 4 bytes each) and every other key besides. */
#define WIRE_SPEC_MAX (4 * WIRE_BODY_MAX + 65536)
#define WIRE_VERSION_MAX 32
#define WIRE_RECHECK_MAX 64    /* re-check ids in one Ack */
#define WIRE_ACK_MAX_BYTES (64 + WIRE_RECHECK_MAX * (CHECK_ID_MAX + 2))

struct wire_batch {
    uint64_t seq;
    uint64_t plan_version;
    uint64_t backlog;
    char agent_version[WIRE_VERSION_MAX];
    int accepts_recheck;           /* the agent reads Ack.recheck */
    struct check_result *results;  /* owned */
    size_t nresults;
};

struct wire_plan {
    uint64_t version;
    char agent_id[CHECK_ID_MAX];
    char region[CHECK_ID_MAX];
    uint64_t last_acked_seq;
    struct check *checks;          /* owned, each freed with check_free */
    size_t nchecks;
};

/* Encodes a batch; results borrowed. */
int wire_encode_batch(const struct wire_batch *b, uint8_t **ret,
                      size_t *ret_len);
/* Decodes and validates; on error fills errbuf and returns PH_EPROTO or
 * PH_ETOOBIG (nothing to free). */
int wire_decode_batch(const uint8_t *p, size_t len, struct wire_batch *ret,
                      char *errbuf, size_t errlen);
void wire_batch_free(struct wire_batch *b);

/* How a plan carries each check's own keys. */
enum wire_plan_form {
    /* Check.type + spec_yaml, written by the type's key table: for
     * agents that name their types (CHECK_TYPES_HEADER). */
    WIRE_PLAN_GENERIC = 0,
    /* The frozen per-type messages of http, tcp, dns and smtp only (any
     * other type is PH_EINVAL): for agents from before the registry. */
    WIRE_PLAN_FROZEN = 1,
};

/* Encodes a plan from checks (borrowed) in form; only probe fields are
 * sent. */
int wire_encode_plan(enum wire_plan_form form, uint64_t version,
                     const char *agent_id, const char *region,
                     uint64_t last_acked_seq, const struct check *checks,
                     size_t n, uint8_t **ret, size_t *ret_len);
int wire_decode_plan(const uint8_t *p, size_t len, struct wire_plan *ret,
                     char *errbuf, size_t errlen);
void wire_plan_free(struct wire_plan *pl);

/* An Ack with the checks its region should probe now (issue #20). On
 * encode recheck[] is borrowed; on decode recheck[i] points into
 * recheck_ids (nothing to free). */
struct wire_ack {
    uint64_t acked_seq;
    uint64_t plan_version;
    const char *recheck[WIRE_RECHECK_MAX];
    size_t nrecheck;
    char recheck_ids[WIRE_RECHECK_MAX][CHECK_ID_MAX];
};

/* Returns PH_ETOOBIG over WIRE_RECHECK_MAX ids. */
int wire_encode_ack_full(const struct wire_ack *a, uint8_t **ret,
                         size_t *ret_len);
/* Ids over the caps are dropped; PH_ETOOBIG over WIRE_ACK_MAX_BYTES. */
int wire_decode_ack_full(const uint8_t *p, size_t len, struct wire_ack *ret);
/* The first version: no re-check ids, and decoding keeps the old cap of
 * 64 bytes (what an agent before issue #20 accepts). */
int wire_encode_ack(uint64_t acked_seq, uint64_t plan_version, uint8_t **ret,
                    size_t *ret_len);
int wire_decode_ack(const uint8_t *p, size_t len, uint64_t *ret_acked_seq,
                    uint64_t *ret_plan_version);

#endif
