/*
 * intake.h - alert intake: POST /v1/integrations/alertmanager (the
 * Alertmanager webhook, payload version "4"; Grafana's "1" has the same
 * shape) and POST /v1/integrations/webhook (any JSON, mapped by the
 * config's alerts.webhook field paths).
 *
 * Requests carry "Authorization: Bearer <token>" with an alerts.tokens
 * token or an API key of scope write or admin. Each payload is the whole
 * current state of one group (Alertmanager's groupKey; the webhook's
 * key_field value): alert_map.c turns it into component statuses, which
 * go into the engine's alert layer (engine_set_alert) and are evaluated
 * at once, so transitions are recorded with source "alert". Group state
 * is kept in the store's kv table, so a restart does not forget firing
 * alerts.
 *
 * The parsers are pure (no I/O, the clock passed in) so they are fuzzed
 * and unit-tested on their own. Everything else runs on the collector's
 * loop.
 */
#ifndef PH_INTAKE_H
#define PH_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "alert_map.h"
#include "hub.h"
#include "request.h"

#define INTAKE_ERR_MAX 256

/* A parsed notification: one group and its alerts. The strings point
 * into the parsed document or into arena, both owned by the payload. */
struct intake_payload {
    const char *group_key;
    struct alert *alerts;
    size_t nalerts;
    struct alert_label *labels;   /* pool the alerts point into */
    size_t nlabels;
    int64_t truncated;            /* Alertmanager's truncatedAlerts */
    char *arena;                  /* split tags, the webhook's key */
    void *doc;                    /* the JSON document (jansson) */
};

/*
 * Parses an Alertmanager webhook body (JSON object with version "4" or
 * "1", groupKey, alerts[].status/labels/endsAt). An alert is resolved
 * when its status is "resolved" or its endsAt is a real time at or before
 * now_ms. At most max_alerts alerts, ALERT_LABELS_MAX labels each, label
 * names and values within ALERT_LABEL_*_MAX.
 * Returns 0 and fills *ret (free with intake_payload_free), or PH_EPARSE
 * (malformed) or PH_ETOOBIG (over a limit) with a message in errbuf, or
 * PH_ENOMEM. On error *ret holds nothing.
 */
int intake_parse_alertmanager(const char *body, size_t len, int64_t now_ms,
                              size_t max_alerts, struct intake_payload *ret,
                              char *errbuf, size_t errlen);

/*
 * Parses a generic webhook body with the mapping w (borrowed): one alert
 * whose group key is "webhook:" + the key_field value, firing per
 * firing_values / resolved_values, labels from labels_field (an object
 * of strings, a "k:v, k2:v2" string or an array of "k:v" strings) plus
 * alertname = the key unless the labels name it (at most
 * ALERT_LABELS_MAX in all). Returns like
 * intake_parse_alertmanager().
 */
int intake_parse_webhook(const struct conf_alert_webhook *w,
                         const char *body, size_t len,
                         struct intake_payload *ret, char *errbuf,
                         size_t errlen);

/* Frees what *p holds and zeroes it. Accepts a zeroed payload. */
void intake_payload_free(struct intake_payload *p);

/* Builds the rules and the group map from h->conf and restores the
 * groups saved in the store, setting the engine's alert layer. Call after
 * the engine and the store exist. Returns 0 or PH_ENOMEM. */
int intake_start(struct hub *h);
/* After a reload replaced h->conf (old is the previous one, still
 * valid) and h->engine: rebuilds the rules, keeps every group's state
 * for components that still exist, and sets the new engine's alert
 * layer. On out of memory the alert state is lost (and logged). */
void intake_reload(struct hub *h, const struct pharos_conf *old);
/* Frees the intake state. Accepts a collector without one. */
void intake_free(struct hub *h);
/* Expires groups per alerts.expire_after; call before evaluating. */
void intake_tick(struct hub *h, int64_t now_ms);
/* Groups currently held (for /metrics). */
size_t intake_ngroups(const struct hub *h);

/* Route handlers (POST or PUT, see routes.c); they authenticate alert
 * tokens themselves and name the token in rq->actor. */
void intake_alertmanager(struct api_req *rq, struct http_request *req,
                         struct http_response *resp);
void intake_webhook(struct api_req *rq, struct http_request *req,
                    struct http_response *resp);

#endif
