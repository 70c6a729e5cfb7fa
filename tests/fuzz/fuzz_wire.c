/*
 * fuzz_wire.c - libFuzzer target for the collector's untrusted protobuf
 * input: result batches (POST /v1/agent/results), plus the agent-side
 * plan and ack decoders (the full Ack is also the reply to the held
 * GET /v1/agent/rechecks). Any input must decode or be rejected cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_batch b;
    struct wire_plan pl;
    struct wire_ack ack;
    char err[256];
    uint64_t a, v;

    if (wire_decode_batch(data, size, &b, err, sizeof(err)) == 0) {
        uint8_t *out = NULL;
        size_t len = 0;

        /* What decodes must re-encode: decoded batches respect caps. */
        for (size_t i = 0; i < b.nresults; i++) {
            if (memchr(b.results[i].check_id, '\0',
                       sizeof(b.results[i].check_id)) == NULL) {
                __builtin_trap();
            }
        }
        if (wire_encode_batch(&b, &out, &len) != 0) {
            __builtin_trap();
        }
        ph_free(out);
        wire_batch_free(&b);
    }
    if (wire_decode_plan(data, size, &pl, err, sizeof(err)) == 0) {
        wire_plan_free(&pl);
    }
    (void)wire_decode_ack(data, size, &a, &v);
    if (wire_decode_ack_full(data, size, &ack) == 0) {
        /* Kept ids are terminated and point into the struct. */
        for (size_t i = 0; i < ack.nrecheck; i++) {
            if (i >= WIRE_RECHECK_MAX ||
                memchr(ack.recheck[i], '\0', CHECK_ID_MAX) == NULL) {
                __builtin_trap();
            }
        }
    }
    return 0;
}
