/*
 * depends.c - dependencies between components and regional mass
 * failures (see depends.h). Pure: no I/O, no clock, no logging.
 */
#include "depends.h"

#include <string.h>

#include "mem.h"

enum { WHITE = 0, GREY = 1, BLACK = 2 };

static int
edge(const struct dep_graph *g, size_t node, size_t k)
{
    int to = g->deps[node][k];

    return to >= 0 && (size_t)to < g->n ? to : -1;
}

/* Writes the cycle closed by the edge from `from` to `to` (grey, so on
 * the stack) into path; returns its length. */
static long
cycle_out(const int *stack, size_t depth, int to, int *path, size_t cap)
{
    size_t start = depth;
    size_t len;

    while (start > 0 && stack[start - 1] != to) {
        start--;
    }
    start = start > 0 ? start - 1 : 0;
    len = depth - start;
    for (size_t i = 0; i < len && i < cap; i++) {
        path[i] = stack[start + i];
    }
    return (long)len;
}

long
depends_find_cycle(const struct dep_graph *g, int *path, size_t cap)
{
    unsigned char *color = NULL;
    int *stack = NULL;
    size_t *next = NULL;
    long result = 0;

    if (g == NULL || g->n == 0) {
        return 0;
    }
    color = ph_calloc(g->n, 1);
    stack = ph_calloc(g->n, sizeof(*stack));
    next = ph_calloc(g->n, sizeof(*next));
    if (color == NULL || stack == NULL || next == NULL) {
        result = -1;
        goto out;
    }
    for (size_t root = 0; root < g->n && result == 0; root++) {
        size_t depth = 0;

        if (color[root] != WHITE) {
            continue;
        }
        stack[depth] = (int)root;
        next[depth] = 0;
        depth++;
        color[root] = GREY;
        while (depth > 0 && result == 0) {
            size_t node = (size_t)stack[depth - 1];
            size_t nd = g->ndeps != NULL ? g->ndeps[node] : 0;
            int to;

            if (next[depth - 1] >= nd || g->deps == NULL ||
                g->deps[node] == NULL) {
                color[node] = BLACK;
                depth--;
                continue;
            }
            to = edge(g, node, next[depth - 1]++);
            if (to < 0 || color[to] == BLACK) {
                continue;
            }
            if (color[to] == GREY) {
                result = cycle_out(stack, depth, to, path, cap);
                break;
            }
            color[to] = GREY;
            stack[depth] = to;
            next[depth] = 0;
            depth++;
        }
    }
out:
    ph_free(color);
    ph_free(stack);
    ph_free(next);
    return result;
}

/* The first down dependency of node, or -1. */
static int
first_down_dep(const struct dep_graph *g, const unsigned char *down,
               size_t node)
{
    size_t nd;

    if (g->deps == NULL || g->ndeps == NULL || g->deps[node] == NULL) {
        return -1;
    }
    nd = g->ndeps[node];
    for (size_t k = 0; k < nd; k++) {
        int to = edge(g, node, k);

        if (to >= 0 && (size_t)to != node && down[to]) {
            return to;
        }
    }
    return -1;
}

int
depends_blame(const struct dep_graph *g, const unsigned char *down, int c)
{
    int at, dep;

    if (g == NULL || down == NULL || c < 0 || (size_t)c >= g->n ||
        !down[c]) {
        return -1;
    }
    at = first_down_dep(g, down, (size_t)c);
    if (at < 0) {
        return -1;
    }
    for (size_t steps = 0; steps < g->n; steps++) {
        dep = first_down_dep(g, down, (size_t)at);
        if (dep < 0 || dep == c) {
            break;
        }
        at = dep;
    }
    return at;
}

size_t
depends_mass_failure(const struct mass_failure_rule *rule,
                     const uint32_t *failing, const uint32_t *total,
                     size_t nregions, unsigned char *suspect)
{
    size_t nmass = 0, nreporting = 0;

    for (size_t r = 0; r < nregions; r++) {
        suspect[r] = 0;
        if (total[r] == 0) {
            continue;
        }
        nreporting++;
        if (rule == NULL || rule->share <= 0.0 ||
            failing[r] < rule->min_checks || failing[r] > total[r]) {
            continue;
        }
        /* More than share of the checks: compared in integers scaled by
         * a million, so 0.5 of 10 is exactly 5 and 5 is not "more". */
        if ((uint64_t)failing[r] * 1000000u >
            (uint64_t)((double)total[r] * rule->share * 1000000.0 + 0.5)) {
            suspect[r] = 1;
            nmass++;
        }
    }
    if (nmass > 0 && nmass == nreporting) {
        memset(suspect, 0, nregions);
        return 0;
    }
    return nmass;
}
