/*
 * pharosctl.h - what pharosctl's files share: the connection settings and
 * the request helpers of pharosctl.c, used by pharosctl_incidents.c and
 * pharosctl_subscribers.c. Replies pass between them as trees (ph_json,
 * json.h); request bodies are built with jansson and serialised with
 * ph_json_dump().
 */
#ifndef PH_PHAROSCTL_H
#define PH_PHAROSCTL_H

#include <stddef.h>

#include "json.h"

#define CTL_COMPONENTS_MAX 32

#define CTL_URLS_MAX 8
#define CTL_BODY_MAX (1024 * 1024)   /* a request body pharosctl sends */

struct ctl {
    /* Collector base URLs: a request goes to the first that answers (on a
     * connection error or a 5xx the next is tried). */
    const char *bases[CTL_URLS_MAX];
    size_t nbases;
    const char *key;        /* API key or NULL */
    int json;
};

/* Options of the incident and maintenance commands (NULL when absent). */
struct ctl_incident_opts {
    const char *status;
    const char *body;
    const char *from;
    const char *until;
    const char *remind;
    const char *components[CTL_COMPONENTS_MAX];   /* "id" or "id=status" */
    int ncomponents;
    int draft;
    const char *template_name; /* --template: incidents.templates */
    const char *next_update;   /* --next-update MIN: "next update by" */
    int all;
};

/* Sends method base+path with a JSON body (or NULL); returns the reply or
 * NULL after printing the API's error. With several bases, the next is
 * tried when one cannot be reached or answers 5xx (a timeout moves a GET
 * only: a write may have been applied); later requests start from the
 * base that answered. */
ph_json *request_json(const struct ctl *ctl, const char *method,
                      const char *path, const char *body, long *ret_code);
ph_json *get_json(const struct ctl *ctl, const char *path);
/* A string member, or "". */
const char *jstr(ph_json *o, const char *key);
/* With --json prints doc (borrowed, indented) and returns 1; else
 * returns 0. */
int print_or_dump(const struct ctl *ctl, ph_json *doc);
/* The page id from the public feed. Returns 0 or -1. */
int page_id(const struct ctl *ctl, char *out, size_t len);

/* Options of the subscribers commands (NULL / 0 when absent). */
struct ctl_subscriber_opts {
    const char *state;        /* list --state */
    const char *components;   /* add --components a,b */
    int confirmed;            /* add --confirmed */
};

/* subscribers list|add|remove; returns the exit status. */
int ctl_subscribers(const struct ctl *ctl, const struct ctl_subscriber_opts *o,
                    const char *const *args, size_t nargs);

/* incident / maintenance / drafts / draft commands; returns the exit
 * status (0 ok, 1 API error, 2 usage). */
/* viewer add|list|revoke (pharosctl_viewers.c). */
int ctl_viewers(const struct ctl *ctl, const char *const *args,
                size_t nargs);

int ctl_incidents(const struct ctl *ctl, const struct ctl_incident_opts *o,
                  const char *const *args, size_t nargs);

#endif
