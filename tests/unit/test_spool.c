/*
 * test_spool.c - the agent's on-disk spool with real files: order,
 * acknowledgement, reopen, the batch in flight, a torn last record, the
 * size cap (drop oldest, counted) and a writer killed without closing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ph_err.h"
#include "spool.h"

static char dir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/pharos-spool-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static struct spool *
open_spool(uint64_t max_bytes, uint32_t per_seg)
{
    struct spool *s = NULL;
    char err[256] = "";
    char path[128];

    snprintf(path, sizeof(path), "%s/spool", dir);
    if (spool_open(path, max_bytes, per_seg, &s, err, sizeof(err)) != 0) {
        fail_msg("spool_open: %s", err);
    }
    return s;
}

static void
append_n(struct spool *s, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        struct check_result r;
        uint64_t rid;

        memset(&r, 0, sizeof(r));
        snprintf(r.check_id, sizeof(r.check_id), "c%d", i);
        r.started_at_ms = i;
        r.outcome = OUTCOME_UP;
        assert_int_equal(spool_append(s, &r, &rid), 0);
        assert_int_equal(rid, (uint64_t)i);
    }
}

static void
expect_read(struct spool *s, uint64_t from, size_t want)
{
    struct check_result out[64];
    size_t n = 0;

    assert_int_equal(spool_read(s, from, out, 64, &n), 0);
    assert_int_equal(n, want);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].started_at_ms, (int64_t)(from + i));
    }
}

static size_t
count_segments(void)
{
    char cmd[160];
    FILE *p;
    size_t n = 0;

    snprintf(cmd, sizeof(cmd), "ls %s/spool | grep -c '^seg-'", dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

static void
test_order_ack_reopen(void **state)
{
    struct spool *s = open_spool(1 << 20, 10);
    uint64_t seq, first;
    uint32_t count;

    (void)state;
    append_n(s, 0, 25);            /* segments of 10: 3 files */
    assert_int_equal(count_segments(), 3);
    expect_read(s, 0, 25);
    expect_read(s, 7, 18);
    assert_int_equal(spool_begin_batch(s, 1, 0, 12), 0);
    assert_int_equal(spool_inflight(s, &seq, &first, &count), 0);
    assert_int_equal(seq, 1);
    assert_int_equal(count, 12);
    assert_int_equal(spool_ack(s, 2), PH_ENOENT);  /* not in flight */
    assert_int_equal(spool_ack(s, 1), 0);
    assert_int_equal(spool_head(s), 12);
    assert_int_equal(count_segments(), 2);          /* first one done */
    assert_int_equal(spool_read(s, 3, NULL, 0, &(size_t){0}), PH_EINVAL);
    assert_int_equal(spool_begin_batch(s, 2, 12, 5), 0);
    spool_close(s);

    /* Reopen: head, tail, next seq and the batch in flight survive. */
    s = open_spool(1 << 20, 10);
    assert_int_equal(spool_head(s), 12);
    assert_int_equal(spool_tail(s), 25);
    assert_int_equal(spool_next_seq(s), 3);
    assert_int_equal(spool_inflight(s, &seq, &first, &count), 0);
    assert_int_equal(seq, 2);
    assert_int_equal(first, 12);
    assert_int_equal(count, 5);
    expect_read(s, 12, 13);
    append_n(s, 25, 3);            /* ids continue */
    expect_read(s, 12, 16);
    spool_close(s);
}

static void
test_torn_tail(void **state)
{
    struct spool *s = open_spool(1 << 20, 100);
    char path[160];
    FILE *f;
    long size;

    (void)state;
    append_n(s, 0, 5);
    spool_close(s);
    snprintf(path, sizeof(path), "%s/spool/seg-0000000000000000.dat", dir);
    /* A crash mid-write: cut the last record short. */
    f = fopen(path, "r+");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    assert_int_equal(ftruncate(fileno(f), size - 7), 0);
    fclose(f);
    s = open_spool(1 << 20, 100);
    assert_int_equal(spool_tail(s), 4);
    expect_read(s, 0, 4);
    append_n(s, 4, 2);
    expect_read(s, 0, 6);
    spool_close(s);

    /* A corrupted record (bad CRC) ends the valid data too. */
    f = fopen(path, "r+");
    assert_non_null(f);
    fseek(f, -20, SEEK_END);
    fputc('X', f);
    fclose(f);
    s = open_spool(1 << 20, 100);
    assert_int_equal(spool_tail(s), 5);
    spool_close(s);
}

static void
test_cap_drops_oldest(void **state)
{
    /* 64 KiB holds about 200 records; segments of 50. */
    struct spool *s = open_spool(64 * 1024, 50);
    size_t per = 64 * 1024 / (sizeof(struct check_result) + 16);
    uint64_t seq, first;
    uint32_t count;

    (void)state;
    assert_int_equal(spool_begin_batch(s, 1, 0, 10), 0);
    append_n(s, 0, 1000);
    assert_true(spool_dropped(s) > 0);
    /* What is left fits the cap and is the newest, in order. */
    assert_true(spool_tail(s) - spool_head(s) <= per);
    assert_int_equal(spool_tail(s), 1000);
    assert_int_equal(spool_dropped(s), spool_head(s));
    expect_read(s, spool_head(s),
                spool_tail(s) - spool_head(s) < 64
                    ? (size_t)(spool_tail(s) - spool_head(s))
                    : 64);
    /* The batch in flight was dropped with its records. */
    assert_int_equal(spool_inflight(s, &seq, &first, &count), PH_ENOENT);
    spool_close(s);
}

static void
test_killed_writer(void **state)
{
    pid_t pid;
    int status;
    struct spool *s;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct spool *cs = open_spool(1 << 20, 64);
        append_n(cs, 0, 300);
        spool_sync(cs);
        spool_begin_batch(cs, 7, 0, 100);
        _exit(0); /* no close: like kill -9 */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    s = open_spool(1 << 20, 64);
    assert_int_equal(spool_tail(s), 300);
    assert_int_equal(spool_next_seq(s), 8);
    expect_read(s, 0, 64);
    expect_read(s, 250, 50);
    spool_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_ack_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_drops_oldest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_killed_writer, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
