/*
 * test_latency.c - the response-time sketch: bins and their 5% bound,
 * percentiles against exact nearest-rank values on many distributions,
 * merging (an hour = the sum of its five-minute parts), the stored form
 * and what decode refuses, bucket starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "latency.h"
#include "ph_err.h"

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* The exact nearest-rank q-quantile of v (sorted in place). */
static uint32_t
exact(uint32_t *v, size_t n, double q)
{
    size_t rank;

    qsort(v, n, sizeof(*v), cmp_u32);
    rank = (size_t)(q * (double)n);
    if ((double)rank < q * (double)n) {
        rank++;
    }
    return v[(rank ? rank : 1) - 1];
}

static void
bins_within_bound(void **state)
{
    (void)state;
    /* Every value maps to a bin whose value is within 5% of it (exact
     * below 32 ms), bins never go down, and the top bin takes the rest. */
    unsigned prev = 0;

    for (int64_t ms = 0; ms < 231240; ms++) {
        unsigned b = lat_bin(ms);
        double v = lat_bin_value(b);

        assert_true(b >= prev);
        prev = b;
        if (ms < 32) {
            assert_int_equal(v, ms);
        } else {
            assert_true(v >= 0.95 * (double)ms && v <= 1.05 * (double)ms);
        }
    }
    assert_int_equal(lat_bin(-5), 0);
    assert_int_equal(lat_bin(231240), LAT_BINS - 1);
    assert_int_equal(lat_bin(INT64_MAX), LAT_BINS - 1);
}

static void
empty_sketch(void **state)
{
    (void)state;
    struct lat_sketch s;

    memset(&s, 0, sizeof(s));
    assert_int_equal(lat_sketch_quantile(&s, 0.5), 0);
    assert_int_equal(s.n, 0);
    lat_sketch_free(&s);
}

static void
small_exact(void **state)
{
    (void)state;
    struct lat_sketch s;

    memset(&s, 0, sizeof(s));
    /* 1..20 ms: exact bins. p50 = 10, p95 = 19, max 20. */
    for (int i = 20; i >= 1; i--) {
        assert_int_equal(lat_sketch_add(&s, i), 0);
    }
    assert_int_equal(s.n, 20);
    assert_int_equal(s.max_ms, 20);
    assert_int_equal(lat_sketch_quantile(&s, 0.5), 10);
    assert_int_equal(lat_sketch_quantile(&s, 0.95), 19);
    assert_int_equal(lat_sketch_quantile(&s, 1.0), 20);
    lat_sketch_free(&s);
}

/* A deterministic generator (xorshift) so a failure reproduces. */
static uint32_t
next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint32_t)(*x >> 11);
}

static void
percentiles_within_bound(void **state)
{
    (void)state;
    static uint32_t v[5000];
    uint64_t x = 88172645463325252ULL;

    /* Uniform, clustered with outliers, long-tailed; several sizes. */
    for (int shape = 0; shape < 3; shape++) {
        for (size_t n = 1; n <= 5000; n = n * 3 + 1) {
            struct lat_sketch s;
            const double qs[] = {0.5, 0.95, 0.99, 1.0};

            memset(&s, 0, sizeof(s));
            for (size_t i = 0; i < n; i++) {
                uint32_t r = next(&x);

                v[i] = shape == 0   ? r % 3000
                       : shape == 1 ? (r % 100 == 0 ? 30000 + r % 1000
                                                    : 80 + r % 20)
                                    : (uint32_t)(1u << (r % 17)) + r % 7;
                assert_int_equal(lat_sketch_add(&s, v[i]), 0);
            }
            for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
                double e = exact(v, n, qs[k]);
                double got = lat_sketch_quantile(&s, qs[k]);

                assert_true(got >= 0.95 * e - 0.5 && got <= 1.05 * e + 0.5);
            }
            assert_int_equal(s.max_ms, exact(v, n, 1.0));
            assert_true(s.ne <= LAT_BINS);
            lat_sketch_free(&s);
        }
    }
}

static void
merge_is_sum(void **state)
{
    (void)state;
    struct lat_sketch hour, part, all;
    uint64_t x = 12345;

    memset(&hour, 0, sizeof(hour));
    memset(&all, 0, sizeof(all));
    for (int p = 0; p < 12; p++) {
        memset(&part, 0, sizeof(part));
        for (int i = 0; i < 30; i++) {
            uint32_t ms = 50 + next(&x) % (p == 7 ? 4000 : 200);

            assert_int_equal(lat_sketch_add(&part, ms), 0);
            assert_int_equal(lat_sketch_add(&all, ms), 0);
        }
        assert_int_equal(lat_sketch_merge(&hour, &part), 0);
        lat_sketch_free(&part);
    }
    assert_int_equal(hour.n, 360);
    assert_int_equal(hour.n, all.n);
    assert_int_equal(hour.max_ms, all.max_ms);
    assert_int_equal(hour.ne, all.ne);
    assert_memory_equal(hour.e, all.e, hour.ne * sizeof(*hour.e));
    assert_int_equal(lat_sketch_quantile(&hour, 0.95),
                     lat_sketch_quantile(&all, 0.95));
    lat_sketch_free(&hour);
    lat_sketch_free(&all);
}

static void
encode_decode(void **state)
{
    (void)state;
    struct lat_sketch s, d;
    uint8_t blob[8 + LAT_BLOB_MAX], bad[8 + LAT_BLOB_MAX];
    size_t len;

    memset(&s, 0, sizeof(s));
    memset(&d, 0, sizeof(d));
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(lat_sketch_add(&s, i * 7), 0);
    }
    len = lat_sketch_encode(&s, blob, sizeof(blob));
    assert_int_equal(len, 8 + 4 * (size_t)s.ne);
    assert_int_equal(lat_sketch_encode(&s, blob, len - 1), 0);
    assert_int_equal(lat_sketch_decode(&d, blob, len), 0);
    assert_int_equal(d.n, s.n);
    assert_int_equal(d.max_ms, s.max_ms);
    assert_int_equal(d.ne, s.ne);
    assert_memory_equal(d.e, s.e, s.ne * sizeof(*s.e));

    /* Refused, and d is left as it was. */
    assert_int_equal(lat_sketch_decode(&d, blob, 7), PH_EINVAL);
    assert_int_equal(lat_sketch_decode(&d, blob, len - 1), PH_EINVAL);
    memcpy(bad, blob, len);
    bad[0] = (uint8_t)(bad[0] - 1);   /* fewer samples than counted */
    assert_int_equal(lat_sketch_decode(&d, bad, len), PH_EINVAL);
    memcpy(bad, blob, len);
    bad[8 + 3] = 200;                 /* bin out of range */
    assert_int_equal(lat_sketch_decode(&d, bad, len), PH_EINVAL);
    memcpy(bad, blob, len);
    memcpy(bad + 12, blob + 8, 4);    /* bins not increasing */
    assert_int_equal(lat_sketch_decode(&d, bad, len), PH_EINVAL);
    memcpy(bad, blob, len);
    bad[4] = 0;                       /* max not in the top bin */
    bad[5] = 0;
    bad[6] = 0;
    assert_int_equal(lat_sketch_decode(&d, bad, len), PH_EINVAL);
    assert_int_equal(d.n, s.n);

    lat_sketch_free(&s);
    lat_sketch_free(&d);
}

static void
buckets(void **state)
{
    (void)state;
    /* 2026-11-29T16:42:17.5Z */
    int64_t t = 1796056937500LL;

    assert_int_equal(lat_bucket_start(t, LAT_PERIOD_FINE) % 300000, 0);
    assert_true(t - lat_bucket_start(t, LAT_PERIOD_FINE) < 300000);
    assert_int_equal(lat_bucket_start(t, LAT_PERIOD_HOURLY), 1796054400000LL);
    assert_int_equal(lat_bucket_start(1796054400000LL, LAT_PERIOD_HOURLY),
                     1796054400000LL);
    assert_int_equal(lat_bucket_start(-1, LAT_PERIOD_FINE), -300000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bins_within_bound),
        cmocka_unit_test(empty_sketch),
        cmocka_unit_test(small_exact),
        cmocka_unit_test(percentiles_within_bound),
        cmocka_unit_test(merge_is_sum),
        cmocka_unit_test(encode_decode),
        cmocka_unit_test(buckets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
