/*
 * depends.h - dependencies between components and mass failures of a
 * region: pure graph and counting logic, no I/O (issue #16 item 6).
 *
 * A component may depend on others (`depends_on:` in pharos.yml). The
 * configuration rejects cycles with depends_find_cycle(); the engine asks
 * depends_blame() which dependency an outage is attributed to, and
 * depends_mass_failure() which regions fail so many checks at once that
 * their evidence is suspect.
 *
 * Ownership: every function borrows its arguments and keeps nothing.
 */
#ifndef PH_DEPENDS_H
#define PH_DEPENDS_H

#include <stddef.h>
#include <stdint.h>

/* At most this many dependencies per component (config cap). */
#define DEPENDS_MAX 32

/* n nodes; deps[i] lists the nodes i depends on (ndeps[i] of them, each
 * in [0, n); out-of-range entries are ignored). */
struct dep_graph {
    size_t n;
    const int *const *deps;
    const size_t *ndeps;
};

/*
 * Looks for a cycle (a node depending on itself counts). Returns 0 when
 * there is none; else the cycle's length L and its first min(L, cap)
 * nodes in path, in dependency order (path[0] depends on path[1], ...,
 * the last on path[0]). O(n + edges); uses no recursion.
 * Returns -1 when out of memory.
 */
long depends_find_cycle(const struct dep_graph *g, int *path, size_t cap);

/*
 * The dependency an outage of node c is attributed to: when c is down
 * (down[c] != 0) and something it depends on, directly or through other
 * nodes (down or not: web -> api -> db with db down and api's checks not
 * yet failing is still db's doing), is down, returns the first such node
 * (depth first, list order) that has no down dependency of its own: the
 * root cause. Returns -1 when c is not down or nothing it depends on is.
 * stack (n ints) and seen (n bytes) are the caller's scratch space.
 * O(n + edges) per step, at most n steps; a cycle cannot loop it.
 */
int depends_blame(const struct dep_graph *g, const unsigned char *down,
                  int c, int *stack, unsigned char *seen);

/* What makes a region's failure a mass failure: more than share (0..1)
 * of the checks it reports on failing at once, and at least min_checks
 * failing. share 0 turns the rule off. */
struct mass_failure_rule {
    double share;
    uint32_t min_checks;
};

/*
 * For nregions regions with total[r] checks reporting (fresh) and
 * failing[r] of them down, sets suspect[r] to 1 for each region in mass
 * failure, 0 for the others. A mass failure seen by every region that
 * reports at all is not a regional problem (everything really is down),
 * so then no region is suspect. Returns the number of suspect regions.
 */
size_t depends_mass_failure(const struct mass_failure_rule *rule,
                            const uint32_t *failing, const uint32_t *total,
                            size_t nregions, unsigned char *suspect);

#endif
