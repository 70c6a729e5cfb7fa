/*
 * test_idmap.c - the string -> index map (collector/core/idmap.c): built
 * at once, grown a key at a time past several resizes, emptied and
 * filled again, duplicates refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "idmap.h"
#include "ph_err.h"

#define N 5000

static char keys[N][16];

static void
fill_keys(void)
{
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), "badge/c%d.svg", i);
    }
}

static void
test_built_at_once(void **state)
{
    const char *list[] = {"a", "b", "c"};
    const char *dup[] = {"a", "b", "a"};
    struct idmap m;

    (void)state;
    assert_int_equal(idmap_init(&m, list, 3), 0);
    assert_int_equal(idmap_get(&m, "c"), 2);
    assert_int_equal(idmap_get(&m, "d"), -1);
    idmap_free(&m);
    assert_int_equal(idmap_init(&m, dup, 3), PH_EEXIST);
}

static void
test_grown_one_at_a_time(void **state)
{
    struct idmap m;

    (void)state;
    memset(&m, 0, sizeof(m));
    assert_int_equal(idmap_get(&m, keys[0]), -1); /* empty: no table */
    for (int i = 0; i < N; i++) {
        assert_int_equal(idmap_add(&m, keys[i], i), 0);
    }
    assert_int_equal(m.count, N);
    assert_true(m.cap >= 2 * (size_t)N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(idmap_get(&m, keys[i]), i);
    }
    assert_int_equal(idmap_get(&m, "badge/c5000.svg"), -1);
    assert_int_equal(idmap_add(&m, keys[17], 1), PH_EEXIST);
    assert_int_equal(idmap_get(&m, keys[17]), 17);
    idmap_free(&m);
}

static void
test_reset_keeps_the_table(void **state)
{
    struct idmap m;
    size_t cap;

    (void)state;
    memset(&m, 0, sizeof(m));
    for (int i = 0; i < 100; i++) {
        assert_int_equal(idmap_add(&m, keys[i], i), 0);
    }
    cap = m.cap;
    idmap_reset(&m);
    assert_int_equal(m.count, 0);
    assert_int_equal(m.cap, cap);
    assert_int_equal(idmap_get(&m, keys[5]), -1);
    assert_int_equal(idmap_add(&m, keys[5], 0), 0);
    assert_int_equal(idmap_get(&m, keys[5]), 0);
    idmap_free(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_built_at_once),
        cmocka_unit_test(test_grown_one_at_a_time),
        cmocka_unit_test(test_reset_keeps_the_table),
    };

    fill_keys();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
