/*
 * check_types.h - the registry of check types: one line per type.
 *
 * X(name, NAME): `type: name` in pharos.yml, enum check_type CHECK_NAME,
 * the member u.name of struct check, and the type's own files:
 *
 *   lib/check_<name>.h          struct check_<name> (its part of a check)
 *   lib/check_<name>.c          check_<name>_kind: key table and rules
 *   agent/probe/probe_<name>.c  probe_<name>_ops: the probe
 *
 * Nothing else names a type: CMake reads this list (lib/CMakeLists.txt,
 * cmake/check_types.cmake) to compile those files and to generate the
 * header that includes every check_<name>.h; check.c and probe.c build
 * their tables from it; the wire carries a check's own keys in a generic
 * form written and read by its key table (lib/wire.c). Adding a type is
 * those files and one line here, at the end (the order is the order of
 * --help-config and of error messages listing the types).
 *
 * Keep one X(...) per line: cmake/check_types.cmake parses them.
 */
#ifndef PH_CHECK_TYPES_H
#define PH_CHECK_TYPES_H

#define CHECK_TYPES(X)                                                      \
    X(http, HTTP)                                                           \
    X(tcp, TCP)                                                             \
    X(dns, DNS)                                                             \
    X(smtp, SMTP)                                                           \
    X(icmp, ICMP)                                                           \
    X(grpc, GRPC)

#endif
