/*
 * latency.c - the response-time sketch and buckets (latency.h).
 */
#include "latency.h"

#include <string.h>

#include "mem.h"
#include "ph_err.h"

/* Lower bound (ms) of each bin: exact below 32, then each bound
 * floor(1.1 x the previous) (at least one more), so a bin's width is at
 * most a tenth of its lower bound and its middle within 5% of any value
 * in it. Generated once; the unit test checks the ratio. */
static const uint32_t lower[LAT_BINS] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 35, 38, 41, 45, 49,
    53, 58, 63, 69, 75, 82, 90, 99, 108, 118, 129, 141, 155, 170, 187, 205,
    225, 247, 271, 298, 327, 359, 394, 433, 476, 523, 575, 632, 695, 764,
    840, 924, 1016, 1117, 1228, 1350, 1485, 1633, 1796, 1975, 2172, 2389,
    2627, 2889, 3177, 3494, 3843, 4227, 4649, 5113, 5624, 6186, 6804, 7484,
    8232, 9055, 9960, 10956, 12051, 13256, 14581, 16039, 17642, 19406,
    21346, 23480, 25828, 28410, 31251, 34376, 37813, 41594, 45753, 50328,
    55360, 60896, 66985, 73683, 81051, 89156, 98071, 107878, 118665,
    130531, 143584, 157942, 173736, 191109, 210219, 231240,
};

#define WORD_BIN(w) ((unsigned)((w) >> 24))
#define WORD_COUNT(w) ((w) & LAT_COUNT_MAX)
#define WORD(bin, count) (((uint32_t)(bin) << 24) | (uint32_t)(count))

unsigned
lat_bin(int64_t ms)
{
    unsigned lo = 0, hi = LAT_BINS - 1;

    if (ms <= 0) {
        return 0;
    }
    if (ms >= (int64_t)lower[LAT_BINS - 1]) {
        return LAT_BINS - 1;
    }
    /* The last bin whose lower bound is <= ms. */
    while (lo < hi) {
        unsigned mid = (lo + hi + 1) / 2;

        if ((int64_t)lower[mid] <= ms) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}

uint32_t
lat_bin_value(unsigned bin)
{
    if (bin >= LAT_BINS - 1) {
        return lower[LAT_BINS - 1];
    }
    return (lower[bin] + lower[bin + 1]) / 2;
}

void
lat_sketch_free(struct lat_sketch *s)
{
    ph_free(s->e);
    memset(s, 0, sizeof(*s));
}

/* Makes room for one more word; 0 or PH_ENOMEM. */
static int
grow(struct lat_sketch *s, size_t want)
{
    uint32_t *e;
    size_t cap;

    if (want <= s->cap) {
        return 0;
    }
    cap = s->cap ? (size_t)s->cap * 2 : 4;
    if (cap < want) {
        cap = want;
    }
    if (cap > LAT_BINS) {
        cap = LAT_BINS;
    }
    e = ph_realloc(s->e, cap * sizeof(*e));
    if (e == NULL) {
        return PH_ENOMEM;
    }
    s->e = e;
    s->cap = (uint16_t)cap;
    return 0;
}

/* Adds count samples to bin; 0 or PH_ENOMEM. */
static int
add_bin(struct lat_sketch *s, unsigned bin, uint32_t count)
{
    size_t i = 0;

    while (i < s->ne && WORD_BIN(s->e[i]) < bin) {
        i++;
    }
    if (i < s->ne && WORD_BIN(s->e[i]) == bin) {
        uint64_t c = (uint64_t)WORD_COUNT(s->e[i]) + count;

        s->e[i] = WORD(bin, c > LAT_COUNT_MAX ? LAT_COUNT_MAX : c);
        return 0;
    }
    if (grow(s, (size_t)s->ne + 1) != 0) {
        return PH_ENOMEM;
    }
    memmove(&s->e[i + 1], &s->e[i], (s->ne - i) * sizeof(*s->e));
    s->e[i] = WORD(bin, count > LAT_COUNT_MAX ? LAT_COUNT_MAX : count);
    s->ne++;
    return 0;
}

static void
count_samples(struct lat_sketch *s, uint64_t n, uint32_t max_ms)
{
    uint64_t total = (uint64_t)s->n + n;

    s->n = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    if (max_ms > s->max_ms) {
        s->max_ms = max_ms;
    }
}

int
lat_sketch_add(struct lat_sketch *s, int64_t ms)
{
    uint32_t v = ms <= 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;

    if (add_bin(s, lat_bin(ms), 1) != 0) {
        return PH_ENOMEM;
    }
    count_samples(s, 1, v);
    return 0;
}

int
lat_sketch_merge(struct lat_sketch *dst, const struct lat_sketch *src)
{
    /* Room first, so a failure leaves dst as it was. */
    if (grow(dst, (size_t)dst->ne + src->ne) != 0) {
        return PH_ENOMEM;
    }
    for (size_t i = 0; i < src->ne; i++) {
        (void)add_bin(dst, WORD_BIN(src->e[i]), WORD_COUNT(src->e[i]));
    }
    count_samples(dst, src->n, src->max_ms);
    return 0;
}

uint32_t
lat_sketch_quantile(const struct lat_sketch *s, double q)
{
    uint64_t total = 0, rank, seen = 0;

    for (size_t i = 0; i < s->ne; i++) {
        total += WORD_COUNT(s->e[i]);
    }
    if (total == 0) {
        return 0;
    }
    if (q <= 0) {
        q = 0;
    }
    rank = (uint64_t)(q * (double)total);
    if ((double)rank < q * (double)total) {
        rank++; /* ceil */
    }
    if (rank == 0) {
        rank = 1;
    }
    if (rank > total) {
        rank = total;
    }
    for (size_t i = 0; i < s->ne; i++) {
        seen += WORD_COUNT(s->e[i]);
        if (seen >= rank) {
            uint32_t v = lat_bin_value(WORD_BIN(s->e[i]));

            return v > s->max_ms ? s->max_ms : v;
        }
    }
    return s->max_ms;
}

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

size_t
lat_sketch_encode(const struct lat_sketch *s, uint8_t *out, size_t cap)
{
    size_t len = 8 + 4 * (size_t)s->ne;

    if (cap < len) {
        return 0;
    }
    put32(out, s->n);
    put32(out + 4, s->max_ms);
    for (size_t i = 0; i < s->ne; i++) {
        put32(out + 8 + 4 * i, s->e[i]);
    }
    return len;
}

int
lat_sketch_decode(struct lat_sketch *dst, const uint8_t *blob, size_t len)
{
    struct lat_sketch s;
    uint64_t total = 0;
    unsigned top = 0;
    size_t ne;

    memset(&s, 0, sizeof(s));
    if (len < 8 || (len - 8) % 4 != 0 || (len - 8) / 4 > LAT_BINS) {
        return PH_EINVAL;
    }
    ne = (len - 8) / 4;
    s.n = get32(blob);
    s.max_ms = get32(blob + 4);
    for (size_t i = 0; i < ne; i++) {
        uint32_t w = get32(blob + 8 + 4 * i);

        if (WORD_BIN(w) >= LAT_BINS || WORD_COUNT(w) == 0 ||
            (i > 0 && WORD_BIN(w) <= top)) {
            return PH_EINVAL;
        }
        top = WORD_BIN(w);
        total += WORD_COUNT(w);
    }
    /* Bin counts saturate before n does: they may add up to less. */
    if (total > s.n || (ne == 0) != (s.n == 0) ||
        (ne > 0 && lat_bin(s.max_ms) != top)) {
        return PH_EINVAL;
    }
    if (grow(&s, ne) != 0) {
        return PH_ENOMEM;
    }
    for (size_t i = 0; i < ne; i++) {
        s.e[i] = get32(blob + 8 + 4 * i);
    }
    s.ne = (uint16_t)ne;
    lat_sketch_free(dst);
    *dst = s;
    return 0;
}

int64_t
lat_bucket_start(int64_t at_ms, int period_s)
{
    int64_t p = (int64_t)period_s * 1000;
    int64_t r = at_ms % p;

    return at_ms - (r < 0 ? r + p : r);
}
