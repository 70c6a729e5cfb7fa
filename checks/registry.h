/*
 * registry.h - the registry of check types: one line per type.
 *
 * X(name, NAME): `type: name` in pharos.yml, enum check_type CHECK_NAME,
 * the member u.name of struct check, and the type's one file
 * checks/<name>.c, in three parts marked by defines:
 *
 *   PH_CHECK_DECLARE  struct check_<name>, its part of a check: never
 *                     compiled in place (the define is never set);
 *                     cmake/check_types.cmake copies this part of every
 *                     type into the generated check_types_inc.h, which
 *                     check.h includes
 *   PH_CHECK_PROBE    const struct probe_ops probe_<name>_ops: the probe,
 *                     compiled into the agent's probe library (CMake sets
 *                     the define for that library only)
 *   neither           const struct check_kind check_<name>_kind: its key
 *                     table and rules, compiled into lib/ (the collector
 *                     and pharosctl link it without any probe code)
 *
 * Nothing else names a type: CMake reads this list
 * (cmake/check_types.cmake) to compile checks/<name>.c into both
 * libraries and to generate the header that declares every struct (so
 * an edit to a probe recompiles its file alone);
 * check.c and agent/probe/probe.c build their tables from it; the wire
 * carries a check's own keys in a generic form written and read by its
 * key table (lib/wire.c). Adding a type is that file and one line here,
 * at the end (the order is the order of --help-config and of error
 * messages listing the types).
 *
 * Keep one X(...) per line: cmake/check_types.cmake parses them.
 */
#ifndef PH_CHECK_REGISTRY_H
#define PH_CHECK_REGISTRY_H

#define CHECK_TYPES(X)                                                      \
    X(http, HTTP)                                                           \
    X(tcp, TCP)                                                             \
    X(dns, DNS)                                                             \
    X(smtp, SMTP)                                                           \
    X(icmp, ICMP)                                                           \
    X(grpc, GRPC)

#endif
