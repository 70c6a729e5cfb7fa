#include "mem.h"

#include <stdlib.h>
#include <string.h>

static long fail_at = -2; /* -2: not read yet, -1: disabled */
static long alloc_count;

static int
should_fail(void)
{
    if (fail_at == -2) {
        const char *s = getenv("PH_TEST_ALLOC_FAIL");
        char *end = NULL;

        fail_at = -1;
        if (s != NULL && *s != '\0') {
            long v = strtol(s, &end, 10);
            if (end != NULL && *end == '\0' && v > 0) {
                fail_at = v;
            }
        }
    }
    if (fail_at < 0) {
        return 0;
    }
    return ++alloc_count == fail_at;
}

void *
ph_malloc(size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    return malloc(size == 0 ? 1 : size);
}

void *
ph_calloc(size_t n, size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

void *
ph_realloc(void *p, size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    return realloc(p, size == 0 ? 1 : size);
}

void
ph_free(void *p)
{
    free(p);
}

char *
ph_strndup(const char *s, size_t n)
{
    char *r;

    if (s == NULL) {
        return NULL;
    }
    r = ph_malloc(n + 1);
    if (r == NULL) {
        return NULL;
    }
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

char *
ph_strdup(const char *s)
{
    return s == NULL ? NULL : ph_strndup(s, strlen(s));
}
