/*
 * mem.h - the only allocation entry points (curl torture / Fluent Bit idea).
 *
 * PH_TEST_ALLOC_FAIL=N in the environment makes the N-th allocation fail,
 * so tests can sweep out-of-memory paths. ph_free(NULL) is a no-op.
 */
#ifndef PH_MEM_H
#define PH_MEM_H

#include <stddef.h>

void *ph_malloc(size_t size);
void *ph_calloc(size_t n, size_t size);
/* Reallocates; on failure the old block is untouched and NULL returned. */
void *ph_realloc(void *p, size_t size);
void ph_free(void *p);
/* Returns a new copy of s (NULL if s is NULL or on failure). */
char *ph_strdup(const char *s);
/* Returns a new NUL-terminated copy of the first n bytes of s. */
char *ph_strndup(const char *s, size_t n);

#endif
