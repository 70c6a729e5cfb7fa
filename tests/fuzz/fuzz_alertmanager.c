/*
 * fuzz_alertmanager.c - libFuzzer target for the alert intake parsers
 * (intake.c): any body must parse or give a message, never crash or
 * leak; a parsed payload must respect the limits and map through
 * alert_map.c twice with the second update changing nothing. The same
 * input also goes through the generic webhook parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alert_map.h"
#include "intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000000LL

static const struct alert_label m_crit[] = {{"severity", "critical"}};
static const struct alert_label m_svc[] = {{"service", "api"}};
static const struct alert_rule rules[] = {
    {m_crit, 1, 0, COMP_MAJOR},
    {m_svc, 1, 1, COMP_DEGRADED},
};

static void
check(const struct intake_payload *p, size_t max_alerts)
{
    struct alert_map *m;

    if (p->nalerts > max_alerts || p->group_key == NULL ||
        strlen(p->group_key) > ALERT_GROUP_KEY_MAX) {
        __builtin_trap();
    }
    for (size_t i = 0; i < p->nalerts; i++) {
        if (p->alerts[i].nlabels > ALERT_LABELS_MAX) {
            __builtin_trap();
        }
    }
    m = alert_map_new(2, rules, 2, 4);
    if (m == NULL) {
        return;
    }
    if (alert_map_update(m, p->group_key, p->alerts, p->nalerts, NOW,
                         NULL) >= 0 &&
        alert_map_update(m, p->group_key, p->alerts, p->nalerts, NOW,
                         NULL) != 0) {
        __builtin_trap(); /* a replay must change nothing */
    }
    alert_map_destroy(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *firing[] = {"alerting", "Triggered"};
    struct conf_alert_webhook w;
    struct intake_payload p;
    char err[INTAKE_ERR_MAX];

    if (intake_parse_alertmanager((const char *)data, size, NOW, 100, &p,
                                  err, sizeof(err)) == 0) {
        check(&p, 100);
        intake_payload_free(&p);
    } else if (err[0] == '\0') {
        __builtin_trap(); /* every refusal says why */
    }
    memset(&w, 0, sizeof(w));
    w.enabled = 1;
    w.key_field = "$.ruleName";
    w.status_field = "$.state";
    w.labels_field = "$.tags";
    memcpy(w.firing_values, firing, sizeof(firing));
    w.nfiring_values = 2;
    if (intake_parse_webhook(&w, (const char *)data, size, &p, err,
                             sizeof(err)) == 0) {
        check(&p, 1);
        intake_payload_free(&p);
    }
    return 0;
}
