/*
 * latency.h - response-time rollups: a bounded per-bucket sketch of
 * latencies (a fixed log-scale histogram) and the bucket arithmetic.
 * Pure: no I/O, no clock reads, no globals.
 *
 * The histogram has LAT_BINS bins: one per millisecond below 32 ms, then
 * bins whose upper bound is at most 1.1 x their lower bound, up to
 * 231,240 ms (the last bin holds everything above). A percentile is the
 * nearest rank (the smallest value with at least ceil(q x n) samples at
 * or below it) read as the middle of its bin, so it is within 5% of the
 * exact nearest-rank value (exact below 32 ms), and never above the
 * bucket's maximum, which is kept exactly. Sketches merge exactly (bin
 * counts add), so an hour is the sum of its five-minute parts.
 *
 * Storage is sparse: only the bins that were hit, as a sorted array of
 * (bin, count) words, at most LAT_BINS of them; a typical check hits a
 * few bins in an hour. Not thread-safe; a sketch belongs to its owner.
 */
#ifndef PH_LATENCY_H
#define PH_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define LAT_BINS 128
#define LAT_COUNT_MAX 0xFFFFFFu      /* per bin; counts saturate there */
#define LAT_BLOB_MAX (4u * LAT_BINS) /* the encoded sketch's largest size */

/* The two rollup periods (seconds) and how many of each are served. */
#define LAT_PERIOD_FINE 300
#define LAT_PERIOD_HOURLY 3600

struct lat_sketch {
    uint32_t *e;      /* (bin << 24) | count, sorted by bin; owned */
    uint16_t ne, cap;
    uint32_t n;       /* samples (saturates) */
    uint32_t max_ms;  /* exact */
};

/* The bin of a latency (negative counts as 0). */
unsigned lat_bin(int64_t ms);
/* The value a bin stands for (its middle; the bin's own value below
 * 32 ms). */
uint32_t lat_bin_value(unsigned bin);

/* Frees what s holds and zeroes it; accepts a zeroed sketch. */
void lat_sketch_free(struct lat_sketch *s);
/* Adds one sample. 0 or PH_ENOMEM (s unchanged). */
int lat_sketch_add(struct lat_sketch *s, int64_t ms);
/* Adds every sample of src to dst. 0 or PH_ENOMEM (dst unchanged). */
int lat_sketch_merge(struct lat_sketch *dst, const struct lat_sketch *src);
/* The q-quantile (0 < q <= 1) in ms; 0 for an empty sketch. */
uint32_t lat_sketch_quantile(const struct lat_sketch *s, double q);

/*
 * The stored form: n and max as 4 bytes each, then each (bin, count)
 * word, all little-endian. encode writes at most 8 + LAT_BLOB_MAX bytes
 * into out (cap bytes) and returns the length, or 0 if cap is too small.
 * decode replaces dst (freed first) and refuses, with PH_EINVAL, any
 * blob that encode could not have written (bad length, a bin out of
 * range, bins not increasing, a zero count, counts adding up to more
 * than n, a max that is not in the top bin).
 */
size_t lat_sketch_encode(const struct lat_sketch *s, uint8_t *out,
                         size_t cap);
int lat_sketch_decode(struct lat_sketch *dst, const uint8_t *blob,
                      size_t len);

/* The start of the bucket of period_s seconds that holds at_ms. */
int64_t lat_bucket_start(int64_t at_ms, int period_s);

#endif
