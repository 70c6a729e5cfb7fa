#include "complain.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

#define COMPLAIN_FIRST_MS 10000
#define COMPLAIN_MAX_MS (24LL * 3600 * 1000)

void
complain(struct complain *c, int64_t now_ms, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (c->active && now_ms < c->next_ms) {
        c->suppressed++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->suppressed > 0) {
        log_warnx("%s (%llu similar suppressed)", msg,
                  (unsigned long long)c->suppressed);
    } else {
        log_warnx("%s", msg);
    }
    c->interval_ms = c->interval_ms == 0 ? COMPLAIN_FIRST_MS
                                         : c->interval_ms * 2;
    if (c->interval_ms > COMPLAIN_MAX_MS) {
        c->interval_ms = COMPLAIN_MAX_MS;
    }
    c->next_ms = now_ms + c->interval_ms;
    c->suppressed = 0;
    c->active = 1;
}

void
complain_release(struct complain *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!c->active) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_info("%s", msg);
    c->active = 0;
    c->interval_ms = 0;
    c->suppressed = 0;
}
