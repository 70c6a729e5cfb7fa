/*
 * complain.h - rate-limited repeat warnings (collectd c_complain idea).
 *
 * A struct complain is embedded where a failure can repeat. complain()
 * logs at most once per interval, doubling the interval up to a day;
 * complain_release() logs recovery once if anything was complained.
 */
#ifndef PH_COMPLAIN_H
#define PH_COMPLAIN_H

#include <stdint.h>

struct complain {
    int64_t next_ms;   /* earliest time the next warning may be logged */
    int64_t interval_ms;
    uint64_t suppressed;
    int active;
};

#define COMPLAIN_INIT {0, 0, 0, 0}

void complain(struct complain *c, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void complain_release(struct complain *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
