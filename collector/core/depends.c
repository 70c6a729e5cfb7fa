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

/* The first down node that from depends on (transitively, depth first,
 * in list order), other than from and skip; -1 when none. */
static int
first_down_below(const struct dep_graph *g, const unsigned char *down,
                 int from, int skip, int *stack, unsigned char *seen)
{
    size_t depth = 0;

    memset(seen, 0, g->n);
    seen[from] = 1;
    stack[depth++] = from;
    while (depth > 0) {
        int node = stack[--depth];
        size_t nd;

        if (node != from && node != skip && down[node]) {
            return node;
        }
        if (g->deps == NULL || g->ndeps == NULL || g->deps[node] == NULL) {
            continue;
        }
        nd = g->ndeps[node];
        /* Pushed in reverse so the first listed is visited first. */
        for (size_t k = nd; k-- > 0;) {
            int to = edge(g, (size_t)node, k);

            if (to < 0 || seen[to]) {
                continue;
            }
            seen[to] = 1;
            stack[depth++] = to;
        }
    }
    return -1;
}

int
depends_blame(const struct dep_graph *g, const unsigned char *down, int c,
              int *stack, unsigned char *seen)
{
    int at, below;

    if (g == NULL || down == NULL || stack == NULL || seen == NULL ||
        c < 0 || (size_t)c >= g->n || !down[c]) {
        return -1;
    }
    at = first_down_below(g, down, c, c, stack, seen);
    for (size_t steps = 0; at >= 0 && steps < g->n; steps++) {
        below = first_down_below(g, down, at, c, stack, seen);
        if (below < 0) {
            break;
        }
        at = below;
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
