#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *log_tag = "pharos";
static int log_level = LOG_LVL_INFO;

void
log_init(const char *tag, int level)
{
    log_tag = tag;
    log_level = level;
}

void
log_setlevel(int level)
{
    log_level = level;
}

int
log_getlevel(void)
{
    return log_level;
}

int
log_level_parse(const char *name)
{
    static const char *names[] = {"error", "warn", "info", "debug"};

    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static void
vlog(int level, const char *lvl, int errnum, const char *fmt, va_list ap)
{
    char msg[1024];
    char ts[32];
    struct timespec now;
    struct tm tm;

    if (level > log_level) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (errnum != 0) {
        fprintf(stderr, "%s.%03ldZ %s %s: %s: %s\n", ts,
                now.tv_nsec / 1000000L, log_tag, lvl, msg, strerror(errnum));
    } else {
        fprintf(stderr, "%s.%03ldZ %s %s: %s\n", ts, now.tv_nsec / 1000000L,
                log_tag, lvl, msg);
    }
}

void
log_warn(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LVL_WARN, "warn", saved, fmt, ap);
    va_end(ap);
    errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LVL_WARN, "warn", 0, fmt, ap);
    va_end(ap);
}

void
log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LVL_INFO, "info", 0, fmt, ap);
    va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LVL_DEBUG, "debug", 0, fmt, ap);
    va_end(ap);
}

void
fatal(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LVL_ERROR, "fatal", saved, fmt, ap);
    va_end(ap);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LVL_ERROR, "fatal", 0, fmt, ap);
    va_end(ap);
    exit(1);
}
