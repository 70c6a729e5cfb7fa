/*
 * log.h - small, level-gated logging (OpenBSD log.h style).
 *
 * One line per event on stderr: "<time> <tag> <level>: message".
 * log_warn appends strerror(errno); log_warnx does not. fatal/fatalx log
 * and exit(1): use them only at startup or for broken internals, never for
 * network input. The level is checked before formatting.
 * Not thread-safe; call from the process's loop thread.
 */
#ifndef PH_LOG_H
#define PH_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Sets the process tag (borrows: must outlive logging) and the level. */
void log_init(const char *tag, int level);
void log_setlevel(int level);
int log_getlevel(void);
/* Parses "error|warn|info|debug"; returns the level or -1. */
int log_level_parse(const char *name);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
