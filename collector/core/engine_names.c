/*
 * engine_names.c - the names of the state engine's enums, as the feed,
 * the API and the transition log spell them (engine.h). Pure.
 */
#include <string.h>

#include "engine.h"

const char *
comp_status_name(enum comp_status s)
{
    switch (s) {
    case COMP_OPERATIONAL:
        return "operational";
    case COMP_DEGRADED:
        return "degraded_performance";
    case COMP_PARTIAL:
        return "partial_outage";
    case COMP_MAJOR:
        return "major_outage";
    case COMP_MAINTENANCE:
        return "under_maintenance";
    }
    return "operational";
}

int
comp_status_parse(const char *s)
{
    if (s == NULL) {
        return -1;
    }
    for (int i = COMP_OPERATIONAL; i <= COMP_MAINTENANCE; i++) {
        if (strcmp(s, comp_status_name((enum comp_status)i)) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
rstate_name(enum rstate s)
{
    switch (s) {
    case RSTATE_NODATA:
        return "nodata";
    case RSTATE_UP:
        return "up";
    case RSTATE_DEGRADED:
        return "degraded";
    case RSTATE_DOWN:
        return "down";
    case RSTATE_STALE:
        return "stale";
    }
    return "nodata";
}

const char *
verdict_name(enum verdict v)
{
    switch (v) {
    case VERDICT_UNKNOWN:
        return "unknown";
    case VERDICT_UP:
        return "up";
    case VERDICT_DEGRADED:
        return "degraded";
    case VERDICT_DOWN_PARTIAL:
        return "down_partial";
    case VERDICT_DOWN_MAJOR:
        return "down_major";
    }
    return "unknown";
}

const char *
status_source_name(enum status_source s)
{
    switch (s) {
    case SOURCE_PROBE:
        return "probe";
    case SOURCE_MANUAL:
        return "manual";
    case SOURCE_ALERT:
        return "alert";
    case SOURCE_MAINTENANCE:
        return "maintenance";
    }
    return "probe";
}
