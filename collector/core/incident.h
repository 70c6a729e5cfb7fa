/*
 * incident.h - incidents and scheduled maintenance: the data model and
 * its rules, free of I/O (no sqlite, no HTTP, no clock: callers pass
 * now_ms). store.c persists these structs, api_v1_incidents.c edits them,
 * feed_incidents.c renders them, collector.c applies their effects on
 * components (maintenance windows, overrides) and runs the timers.
 *
 * A maintenance is an incident of kind INC_MAINTENANCE, as in Statuspage
 * (one /incidents resource, the status enum tells the kinds apart).
 *
 * Ownership: an incident owns its strings and arrays; incident_free()
 * releases them. Updates are kept oldest first; renderers reverse them.
 */
#ifndef PH_INCIDENT_H
#define PH_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "engine.h"

#define INC_ID_LEN 12           /* lowercase alphanumerics */
#define INC_NAME_MAX 255        /* characters, as Statuspage */
#define INC_BODY_MAX 25000      /* bytes of one update's text */
#define INC_UPDATES_MAX 200     /* updates per incident */
/* Bytes of update text per incident, all updates together: bounds what
 * one incident adds to every document (50 in incidents.json: 3.2 MiB). */
#define INC_TEXT_MAX (64 * 1024)
#define INC_COMPONENTS_MAX 64   /* components named by one incident */
#define INC_MEMORY_MAX 2000     /* incidents kept in memory (newest) */

enum inc_kind {
    INC_REALTIME = 0,
    INC_MAINTENANCE = 1,
};

enum inc_status {
    INC_INVESTIGATING = 0,
    INC_IDENTIFIED,
    INC_MONITORING,
    INC_RESOLVED,
    INC_POSTMORTEM,
    INC_SCHEDULED,
    INC_IN_PROGRESS,
    INC_VERIFYING,
    INC_COMPLETED,
    INC_STATUS_COUNT
};

enum inc_impact {
    INC_IMPACT_NONE = 0,
    INC_IMPACT_MINOR,
    INC_IMPACT_MAJOR,
    INC_IMPACT_CRITICAL,
    INC_IMPACT_MAINTENANCE,
};

/* One component named by an update, with the status it set (or the status
 * it had, when the update only lists it: old == new). */
struct inc_affected {
    char code[CHECK_ID_MAX];    /* component id */
    enum comp_status old_status;
    enum comp_status new_status;
};

struct inc_update {
    char id[INC_ID_LEN + 1];
    enum inc_status status;
    char *body;                 /* never NULL */
    int64_t created_ms;
    int64_t updated_ms;
    int64_t display_ms;
    int deliver;                /* deliver_notifications */
    int64_t next_update_ms;     /* "next update by", 0 = not promised */
    struct inc_affected *affected;
    size_t naffected;
};

struct incident {
    char id[INC_ID_LEN + 1];
    enum inc_kind kind;
    char *name;                 /* never NULL */
    enum inc_status status;
    int impact_override;        /* enum inc_impact, or -1 for none */
    int draft;                  /* opened by automation, not published */
    int auto_opened;            /* opened by probe automation */
    int64_t created_ms;
    int64_t updated_ms;
    int64_t started_ms;
    int64_t monitoring_ms;      /* 0 = not yet (null in JSON) */
    int64_t resolved_ms;        /* 0 = not yet */
    int64_t scheduled_for_ms;   /* maintenance only; 0 otherwise */
    int64_t scheduled_until_ms;
    int32_t remind_prior_min;   /* 0 = no reminder */
    int64_t reminded_ms;        /* 0 = not yet */
    int auto_in_progress;
    int auto_completed;
    int32_t update_every_min;   /* 0 = incidents.update_every */
    int64_t update_reminded_ms; /* due time the staff were reminded of;
                                   memory only (the outbox key dedupes) */
    char (*components)[CHECK_ID_MAX]; /* components the incident names */
    size_t ncomponents;
    struct inc_update *updates; /* oldest first */
    size_t nupdates;
};

/* A requested change: create (on a zeroed incident) or update. Fields at
 * their "unchanged" value (NULL or -1) are left alone. */
struct inc_comp_change {
    char code[CHECK_ID_MAX];
    int status;                 /* enum comp_status, or -1: only named */
    enum comp_status current;   /* filled by the caller: status now */
};

struct inc_edit {
    const char *name;
    int status;                 /* enum inc_status or -1 */
    const char *body;           /* text of the new update, or NULL */
    int impact_override;        /* enum inc_impact, -1 unchanged, -2 clear */
    const struct inc_comp_change *changes;
    size_t nchanges;
    int64_t scheduled_for_ms;   /* -1 unchanged */
    int64_t scheduled_until_ms; /* -1 unchanged */
    int32_t remind_prior_min;   /* -1 unchanged */
    int auto_in_progress;       /* -1 unchanged */
    int auto_completed;         /* -1 unchanged */
    int deliver;                /* -1 = true */
    int draft;                  /* -1 unchanged */
    int64_t display_ms;         /* 0 = now */
    int32_t update_every_min;   /* -1 unchanged, 0 = the default */
    int64_t next_update_ms;     /* for the new update; 0 = none */
};

/* An edit with everything "unchanged". */
void inc_edit_init(struct inc_edit *e);

/* Enum names as in the Statuspage JSON; parse returns -1 if unknown. */
const char *inc_status_name(enum inc_status s);
/* The status as readers see it in titles ("In progress"); "Update" for
 * an out-of-range value. */
/* Bytes of update text the incident holds (see INC_TEXT_MAX). */
size_t incident_text_bytes(const struct incident *inc);
const char *inc_status_title(enum inc_status s);
int inc_status_parse(const char *s);
const char *inc_impact_name(enum inc_impact i);
int inc_impact_parse(const char *s);
/* The kind a status belongs to. */
enum inc_kind inc_status_kind(enum inc_status s);
/* 1 for investigating/identified/monitoring (and maintenance
 * in_progress/verifying): shown as active. */
int inc_status_unresolved(enum inc_status s);

/*
 * Creates (inc zeroed, id given) or updates inc from e at now_ms. The kind
 * of a new incident comes from its status (default investigating, or
 * scheduled when scheduled_for is given). Adds an update when the edit has
 * a body, a status change or component changes. On a bad edit nothing is
 * changed and a message for the API user is written to err; returns
 * PH_EINVAL (or PH_ENOMEM, PH_ETOOBIG for too many updates/components).
 * new_update_id names the update the edit may add.
 */
int incident_apply(struct incident *inc, const char *id,
                   const char *new_update_id, const struct inc_edit *e,
                   int64_t now_ms, char *err, size_t errlen);

/* The impact: the override, else maintenance for a maintenance, else the
 * worst status any update ever set on a component (major_outage ->
 * critical, partial_outage -> major, degraded_performance -> minor), so a
 * resolved incident keeps its impact. */
enum inc_impact incident_impact(const struct incident *inc);

/* The status inc's latest update set for component code, or -1. */
int incident_component_status(const struct incident *inc, const char *code);

/* 1 if inc names component code. */
int incident_names_component(const struct incident *inc, const char *code);

/* 1 while a maintenance holds its components under maintenance
 * (in_progress or verifying). */
int incident_maintenance_active(const struct incident *inc);

/*
 * Timers of a maintenance at now_ms: automatic start at scheduled_for,
 * automatic completion at scheduled_until (each adding an update with a
 * standard text), and the reminder remind_prior_min before the start.
 * Returns a bit set of INC_TICK_* describing what happened.
 */
#define INC_TICK_STARTED 1
#define INC_TICK_COMPLETED 2
#define INC_TICK_REMIND 4
int incident_tick(struct incident *inc, const char *new_update_id,
                  int64_t now_ms);

/*
 * Update cadence: when a published, unresolved incident (not a
 * maintenance) is due its next update: its latest update's display time plus
 * its update_every_min, or default_every_ms when that is 0. Returns 0
 * when no update is due (draft, closed, maintenance, or both 0).
 */
int64_t incident_update_due(const struct incident *inc,
                            int64_t default_every_ms);
/* 1 when an update is due and now_ms is past it. */
int incident_update_overdue(const struct incident *inc,
                            int64_t default_every_ms, int64_t now_ms);

/* Deep copy (for snapshots); returns 0 or PH_ENOMEM. */
int incident_copy(struct incident *dst, const struct incident *src);
/* Frees what inc owns and zeroes it. Accepts a zeroed incident. */
void incident_free(struct incident *inc);

#endif
