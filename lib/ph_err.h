/*
 * ph_err.h - the one error space of Pharos.
 *
 * Every fallible function returns 0 on success or a negative PH_E* code.
 * The list below is the only place codes are defined; ph_strerror() and
 * ph_errname() are generated from it (libuv's UV_ERRNO_MAP idea).
 */
#ifndef PH_ERR_H
#define PH_ERR_H

#define PH_ERR_MAP(X)                                                   \
    X(NOMEM, "out of memory")                                           \
    X(INVAL, "invalid argument")                                        \
    X(RANGE, "value out of range")                                      \
    X(TOOBIG, "size limit exceeded")                                    \
    X(PARSE, "parse error")                                             \
    X(CONF, "configuration error")                                      \
    X(IO, "input/output error")                                         \
    X(NOENT, "not found")                                               \
    X(EXIST, "already exists")                                          \
    X(AUTH, "authentication failed")                                    \
    X(PROTO, "protocol error")                                          \
    X(TIMEOUT, "timed out")                                             \
    X(CONNREFUSED, "connection refused")                                \
    X(NET, "network error")                                             \
    X(TLS, "TLS error")                                                 \
    X(DNS, "DNS error")                                                 \
    X(DB, "database error")                                             \
    X(BUSY, "resource busy")                                            \
    X(CANCELED, "operation canceled")                                   \
    X(INTERNAL, "internal error")

enum ph_err {
    PH_OK = 0,
#define PH_ERR_ENUM(name, msg) PH_E##name,
    PH_ERR_FIRST_ = -1000,
    PH_ERR_MAP(PH_ERR_ENUM)
#undef PH_ERR_ENUM
    PH_ERR_LAST_
};

/* Returns a static message for err (0 or a PH_E* code); never NULL. */
const char *ph_strerror(int err);

/* Returns the static symbolic name ("PH_ENOMEM") for err; never NULL. */
const char *ph_errname(int err);

#endif
