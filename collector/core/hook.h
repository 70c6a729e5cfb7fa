/*
 * hook.h - incidents driven by incident-management tools (PagerDuty,
 * Opsgenie): the event both tools' payloads are parsed into, the rules
 * that map an event to components and statuses, and the decision what
 * one event does to the Pharos incident linked to the tool's incident.
 * Pure logic: no I/O, no clock, no JSON (pagerduty_map.c and
 * opsgenie_map.c parse the payloads).
 *
 * A tool's incident (PagerDuty incident id, Opsgenie alert id) is linked
 * to at most one Pharos incident; the link's state says how far it got.
 * Events may arrive out of order (PagerDuty and Opsgenie retry and do
 * not order deliveries): a resolution first leaves a tombstone, so a late
 * trigger or acknowledgement of the same incident opens nothing.
 */
#ifndef PH_HOOK_H
#define PH_HOOK_H

#include <stddef.h>
#include <stdint.h>

#define HOOK_ID_MAX 128        /* bytes of an event or incident id */
#define HOOK_TITLE_MAX 255     /* bytes of a title (cut at a character) */
#define HOOK_NOTE_MAX 4000     /* bytes of a note (cut at a character) */
#define HOOK_URL_MAX 512       /* bytes of the tool's incident URL */
#define HOOK_FIELD_MAX 255     /* service, priority, tag, team, entity */
#define HOOK_TAGS_MAX 64       /* tags (and teams) kept of one alert */

enum hook_action {
    HOOK_OTHER = 0,    /* an event type Pharos does not act on */
    HOOK_OPEN,         /* incident.triggered, Create */
    HOOK_ACK,          /* incident.acknowledged, Acknowledge */
    HOOK_NOTE,         /* incident.annotated, AddNote */
    HOOK_PRIORITY,     /* incident.priority_updated */
    HOOK_RESOLVE,      /* incident.resolved, Close */
};

/* One event of a tool. Strings are borrowed from the parsed payload
 * (struct hook_doc); NULL when the payload does not carry them. */
struct hook_event {
    enum hook_action action;
    const char *type;          /* the tool's name for it, for logs */
    const char *event_id;      /* replay key: never NULL once parsed */
    const char *external_id;   /* the tool's incident or alert id */
    const char *title;
    const char *url;           /* the tool's page of the incident */
    const char *service_id;
    const char *service;
    const char *priority;
    const char *urgency;
    const char *entity;
    const char *note;
    const char *tags[HOOK_TAGS_MAX];
    size_t ntags;
    const char *teams[HOOK_TAGS_MAX];
    size_t nteams;
    int64_t occurred_ms;       /* 0: the payload does not say */
};

/* A parsed payload: the event and what its strings live in. */
struct hook_doc {
    struct hook_event ev;
    void *doc;                 /* the JSON document (json.h) */
    char arena[2 * HOOK_ID_MAX + HOOK_TITLE_MAX + HOOK_NOTE_MAX + 64];
};
/* Releases what d holds and zeroes it; accepts a zeroed one. */
void hook_doc_free(struct hook_doc *d);

/* A rule (from pharos.yml): match fields (NULL = any), then what the
 * linked incident gets. Strings are borrowed. */
struct hook_rule {
    const char *service_id;
    const char *service;
    const char *priority;
    const char *urgency;
    const char *tag;
    const char *team;
    const char *entity;
    const char *const *components;
    size_t ncomponents;
    int status;                /* enum comp_status, or -1: only named */
    int publish;
    int identify_on_ack;
    int public_notes;
    const char *name;          /* NULL: the event's title */
    const char *body;          /* NULL: a standard text */
    const char *template_name; /* incidents.templates entry, or NULL */
};

/* Index of the first rule matching ev, or -1. */
int hook_match(const struct hook_rule *rules, size_t n,
               const struct hook_event *ev);

enum hook_link_state {
    HOOK_LINK_NONE = 0,        /* not linked yet */
    HOOK_LINK_OPEN = 1,
    HOOK_LINK_ACKED = 2,
    HOOK_LINK_RESOLVED = 3,    /* resolved, or a tombstone */
};

/* Link flags, kept from the rule that opened the incident: later events
 * (a note carries no service) follow them. */
#define HOOK_FLAG_IDENTIFY 1u
#define HOOK_FLAG_PUBLIC_NOTES 2u

enum hook_do {
    HOOK_DO_NOTHING = 0,
    HOOK_DO_CREATE,            /* open a Pharos incident */
    HOOK_DO_UPDATE,            /* update the linked one */
};

/* What an event does. Texts are borrowed from the rule, the event or
 * static storage. */
struct hook_plan {
    enum hook_do what;
    int inc_status;            /* enum inc_status, or -1: unchanged */
    int comp_status;           /* enum comp_status for the rule's
                                  components, or -1: unchanged */
    int draft;                 /* for HOOK_DO_CREATE */
    const char *name;          /* for HOOK_DO_CREATE */
    const char *body;          /* the update's text, or NULL */
    enum hook_link_state next; /* the link's state afterwards */
    unsigned flags;            /* the link's flags afterwards */
    const char *why;           /* for the reply and the log */
};

/*
 * Decides what ev does to a link in state cur with flags. rule is the
 * matching rule (may be NULL when the event matches none: a linked
 * incident still follows its tool; an unlinked one is not opened).
 */
void hook_decide(const struct hook_rule *rule, const struct hook_event *ev,
                 enum hook_link_state cur, unsigned flags,
                 struct hook_plan *ret);

#endif
