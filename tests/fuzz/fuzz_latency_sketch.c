/*
 * fuzz_latency_sketch.c - libFuzzer target for the stored form of a
 * response-time sketch (latency.h), read back from the database file,
 * which a damaged disk or a hand edit can fill with anything. Any input
 * must decode or be refused without a crash or a read past its end; a
 * decoded sketch must encode to the same bytes, give quantiles that
 * never exceed its maximum, and merge with itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lat_sketch s, twice;
    uint8_t out[8 + LAT_BLOB_MAX];
    size_t len;

    memset(&s, 0, sizeof(s));
    memset(&twice, 0, sizeof(twice));
    if (lat_sketch_decode(&s, data, size) != 0) {
        return 0;
    }
    len = lat_sketch_encode(&s, out, sizeof(out));
    if (len != size || memcmp(out, data, size) != 0) {
        abort();
    }
    if (lat_sketch_quantile(&s, 0.5) > s.max_ms ||
        lat_sketch_quantile(&s, 0.95) > s.max_ms ||
        lat_sketch_quantile(&s, 0.5) > lat_sketch_quantile(&s, 0.95)) {
        abort();
    }
    if (lat_sketch_merge(&twice, &s) == 0 &&
        lat_sketch_merge(&twice, &s) == 0 &&
        (twice.ne != s.ne || twice.max_ms != s.max_ms)) {
        abort();
    }
    (void)lat_sketch_add(&twice, (int64_t)size * 1000);
    lat_sketch_free(&twice);
    lat_sketch_free(&s);
    return 0;
}
