/*
 * pagerduty_map.h - PagerDuty V3 webhooks: signature check and payload
 * parsing into a struct hook_event (hook.h). Pure: no I/O, no clock.
 *
 * A V3 delivery carries one event {"event": {id, event_type,
 * resource_type, occurred_at, agent, client, data}} and the header
 * X-PagerDuty-Signature: "v1=<hex HMAC-SHA256 of the raw body>", one per
 * signing secret of the subscription, comma-separated, so a secret can
 * be rotated without downtime (PagerDuty developer docs, "Verifying
 * Signatures").
 */
#ifndef PH_PAGERDUTY_MAP_H
#define PH_PAGERDUTY_MAP_H

#include <stddef.h>

#include "hook.h"

#define PAGERDUTY_SIG_HEADER_MAX 2048 /* bytes of X-PagerDuty-Signature */
#define PAGERDUTY_SIGS_MAX 16         /* signatures looked at */
#define PAGERDUTY_ERR_MAX 200

/*
 * Checks header (may be NULL) against body[0..len) with each of
 * secrets[0..n) (borrowed, used as given, as PagerDuty does). Every
 * v1 signature is compared with every secret in constant time. Returns
 * the index of a secret that signed the body, or -1 (no header, no v1
 * signature, none matches, or an overlong header).
 */
int pagerduty_verify(const char *header, const void *body, size_t len,
                     const char *const *secrets, size_t n);

/*
 * Parses a V3 webhook body into *ret (zeroed first; free with
 * hook_doc_free() after success). Event types other than
 * incident.triggered, .acknowledged, .annotated, .priority_updated and
 * .resolved parse as HOOK_OTHER. Returns 0, or PH_EPARSE / PH_ETOOBIG /
 * PH_ENOMEM with a message in err (nothing to free then).
 */
int pagerduty_parse(const char *body, size_t len, struct hook_doc *ret,
                    char *err, size_t errlen);

#endif
