/*
 * pharosctl_incidents.c - pharosctl's incident, maintenance and draft
 * commands, over the Statuspage v1 /incidents endpoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "pharosctl.h"

#define BODY_MAX (64 * 1024)

/* Sends {"incident": inc} (inc is released). */
static json_t *
send_incident(const struct ctl *ctl, const char *method, const char *id,
              json_t *inc)
{
    char pid[80], path[400];
    json_t *wrap = json_object();
    char *body = NULL;
    size_t len;
    json_t *doc;
    long code;

    json_object_set_new(wrap, "incident", inc);
    if (ph_json_dump(wrap, 0, CTL_BODY_MAX, &body, &len) != 0 ||
        page_id(ctl, pid, sizeof(pid)) != 0) {
        ph_free(body);
        return NULL;
    }
    snprintf(path, sizeof(path), "/v1/pages/%s/incidents%s%s", pid,
             id != NULL ? "/" : "", id != NULL ? id : "");
    doc = request_json(ctl, method, path, body, &code);
    ph_free(body);
    return doc;
}

/* --component id[=status] into the components map / component_ids. */
static int
add_components(const struct ctl_incident_opts *o, json_t *inc, int need_status)
{
    json_t *map = json_object();
    json_t *ids = json_array();

    for (int i = 0; i < o->ncomponents; i++) {
        const char *eq = strchr(o->components[i], '=');
        char id[128];

        if (eq == NULL) {
            if (need_status) {
                fprintf(stderr, "pharosctl: --component needs ID=STATUS "
                                "here (for example api=major_outage)\n");
                json_decref(map);
                json_decref(ids);
                return -1;
            }
            json_array_append_new(ids, json_string(o->components[i]));
            continue;
        }
        snprintf(id, sizeof(id), "%.*s", (int)(eq - o->components[i]),
                 o->components[i]);
        json_object_set_new(map, id, json_string(eq + 1));
    }
    if (json_object_size(map) > 0) {
        json_object_set_new(inc, "components", map);
    } else {
        json_decref(map);
    }
    if (json_array_size(ids) > 0) {
        json_object_set_new(inc, "component_ids", ids);
    } else {
        json_decref(ids);
    }
    return 0;
}

static void
print_incident(const struct ctl *ctl, json_t *inc, int timeline)
{
    json_t *ups = json_object_get(inc, "incident_updates");
    json_t *u;
    size_t i;

    if (print_or_dump(ctl, inc)) {
        return;
    }
    printf("%-12s  %-12s %-11s %s%s%s\n", jstr(inc, "id"),
           jstr(inc, "status"), jstr(inc, "impact"), jstr(inc, "name"),
           json_is_true(json_object_get(inc, "draft")) ? "  [draft]" : "",
           json_is_true(json_object_get(inc, "update_overdue"))
               ? "  [update overdue]"
               : "");
    if (json_is_string(json_object_get(inc, "scheduled_for"))) {
        printf("              window %s .. %s\n", jstr(inc, "scheduled_for"),
               jstr(inc, "scheduled_until"));
    }
    if (!timeline) {
        return;
    }
    json_array_foreach(ups, i, u) {
        printf("  %s  %-12s %s\n", jstr(u, "display_at"), jstr(u, "status"),
               jstr(u, "body"));
    }
}

static int
print_list(const struct ctl *ctl, const char *which, int drafts_only)
{
    char pid[80], path[300];
    json_t *doc, *inc;
    size_t i, n = 0;

    if (page_id(ctl, pid, sizeof(pid)) != 0) {
        return 1;
    }
    snprintf(path, sizeof(path), "/v1/pages/%s/incidents%s%s", pid,
             which[0] ? "/" : "", which);
    doc = get_json(ctl, path);
    if (doc == NULL) {
        return 1;
    }
    if (drafts_only) {
        json_t *keep = json_array();
        json_array_foreach(doc, i, inc) {
            if (json_is_true(json_object_get(inc, "draft"))) {
                json_array_append(keep, inc);
            }
        }
        json_decref(doc);
        doc = keep;
    }
    if (!print_or_dump(ctl, doc)) {
        json_array_foreach(doc, i, inc) {
            print_incident(ctl, inc, 0);
            n++;
        }
        if (n == 0) {
            printf("none\n");
        }
    }
    json_decref(doc);
    return 0;
}

static int
done(const struct ctl *ctl, json_t *doc, const char *what)
{
    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("%s %s: %s (%s)\n", what, jstr(doc, "id"), jstr(doc, "name"),
               jstr(doc, "status"));
    }
    json_decref(doc);
    return 0;
}

static int
incident_cmd(const struct ctl *ctl, const struct ctl_incident_opts *o,
             const char *const *args, size_t nargs)
{
    const char *sub = nargs > 1 ? args[1] : "";
    json_t *inc;

    if (strcmp(sub, "list") == 0 && nargs == 2) {
        return print_list(ctl, o->all ? "" : "unresolved", 0);
    }
    if (strcmp(sub, "show") == 0 && nargs == 3) {
        char pid[80], path[400];
        json_t *doc;

        if (page_id(ctl, pid, sizeof(pid)) != 0) {
            return 1;
        }
        snprintf(path, sizeof(path), "/v1/pages/%s/incidents/%s", pid,
                 args[2]);
        doc = get_json(ctl, path);
        if (doc == NULL) {
            return 1;
        }
        print_incident(ctl, doc, 1);
        json_decref(doc);
        return 0;
    }
    inc = json_object();
    if (o->body != NULL && strlen(o->body) > BODY_MAX) {
        fprintf(stderr, "pharosctl: --body is too long\n");
        json_decref(inc);
        return 2;
    }
    if (o->body != NULL) {
        json_object_set_new(inc, "body", json_string(o->body));
    }
    if (o->next_update != NULL) {
        char *end = NULL;
        long v = strtol(o->next_update, &end, 10);

        if (end == o->next_update || *end != '\0' || v < 1 || v > 1440) {
            fprintf(stderr, "pharosctl: --next-update takes minutes, 1 to "
                            "1440\n");
            json_decref(inc);
            return 2;
        }
        json_object_set_new(inc, "next_update_in_minutes", json_integer(v));
    }
    if (strcmp(sub, "open") == 0 &&
        (nargs == 3 || (nargs == 2 && o->template_name != NULL))) {
        if (nargs == 3) {
            json_object_set_new(inc, "name", json_string(args[2]));
        }
        if (o->template_name != NULL) {
            /* The collector fills name, body, status and components
             * the command line leaves out. */
            json_object_set_new(inc, "template",
                                json_string(o->template_name));
        }
        if (o->status != NULL || o->template_name == NULL) {
            json_object_set_new(inc, "status",
                                json_string(o->status ? o->status
                                                      : "investigating"));
        }
        if (o->draft) {
            json_object_set_new(inc, "draft", json_true());
        }
        if (add_components(o, inc, 0) != 0) {
            json_decref(inc);
            return 2;
        }
        return done(ctl, send_incident(ctl, "POST", NULL, inc), "opened");
    }
    if (strcmp(sub, "update") == 0 && nargs == 3) {
        if (o->status != NULL) {
            json_object_set_new(inc, "status", json_string(o->status));
        }
        if (add_components(o, inc, 1) != 0) {
            json_decref(inc);
            return 2;
        }
        if (json_object_size(inc) == 0) {
            fprintf(stderr, "pharosctl: incident update needs --status, "
                            "--body or --component\n");
            json_decref(inc);
            return 2;
        }
        return done(ctl, send_incident(ctl, "PATCH", args[2], inc),
                    "updated");
    }
    if (strcmp(sub, "resolve") == 0 && nargs == 3) {
        json_object_set_new(inc, "status", json_string("resolved"));
        if (o->body == NULL) {
            json_object_set_new(inc, "body",
                                json_string("This incident has been "
                                            "resolved."));
        }
        return done(ctl, send_incident(ctl, "PATCH", args[2], inc),
                    "resolved");
    }
    json_decref(inc);
    fprintf(stderr, "pharosctl: incident open|update|resolve|list|show; "
                    "see --help\n");
    return 2;
}

static int
maintenance_cmd(const struct ctl *ctl, const struct ctl_incident_opts *o,
                const char *const *args, size_t nargs)
{
    const char *sub = nargs > 1 ? args[1] : "";
    json_t *inc;

    if (strcmp(sub, "list") == 0 && nargs == 2) {
        return print_list(ctl, o->all ? "scheduled" : "upcoming", 0) ||
               (o->all ? 0 : print_list(ctl, "active_maintenance", 0));
    }
    if (strcmp(sub, "cancel") == 0 && nargs == 3) {
        inc = json_object();
        json_object_set_new(inc, "status", json_string("completed"));
        json_object_set_new(inc, "body",
                            json_string(o->body ? o->body
                                                : "This maintenance has "
                                                  "been cancelled."));
        return done(ctl, send_incident(ctl, "PATCH", args[2], inc),
                    "cancelled");
    }
    if (strcmp(sub, "schedule") == 0 && nargs == 3) {
        if (o->from == NULL || o->until == NULL) {
            fprintf(stderr, "pharosctl: maintenance schedule needs --from "
                            "and --until (ISO 8601 times)\n");
            return 2;
        }
        inc = json_object();
        json_object_set_new(inc, "name", json_string(args[2]));
        json_object_set_new(inc, "status", json_string("scheduled"));
        json_object_set_new(inc, "scheduled_for", json_string(o->from));
        json_object_set_new(inc, "scheduled_until", json_string(o->until));
        json_object_set_new(inc, "scheduled_auto_in_progress", json_true());
        json_object_set_new(inc, "scheduled_auto_completed", json_true());
        if (o->remind != NULL) {
            json_object_set_new(inc, "scheduled_remind_prior_minutes",
                                json_string(o->remind));
        }
        if (o->body != NULL) {
            json_object_set_new(inc, "body", json_string(o->body));
        }
        if (add_components(o, inc, 0) != 0) {
            json_decref(inc);
            return 2;
        }
        return done(ctl, send_incident(ctl, "POST", NULL, inc), "scheduled");
    }
    fprintf(stderr, "pharosctl: maintenance schedule|list|cancel; see "
                    "--help\n");
    return 2;
}

int
ctl_incidents(const struct ctl *ctl, const struct ctl_incident_opts *o,
              const char *const *args, size_t nargs)
{
    if (strcmp(args[0], "incident") == 0) {
        return incident_cmd(ctl, o, args, nargs);
    }
    if (strcmp(args[0], "maintenance") == 0) {
        return maintenance_cmd(ctl, o, args, nargs);
    }
    if (strcmp(args[0], "drafts") == 0 && nargs == 1) {
        return print_list(ctl, "unresolved", 1);
    }
    if (strcmp(args[0], "draft") == 0 && nargs == 3 &&
        strcmp(args[1], "publish") == 0) {
        json_t *inc = json_object();
        json_object_set_new(inc, "draft", json_false());
        return done(ctl, send_incident(ctl, "PATCH", args[2], inc),
                    "published");
    }
    if (strcmp(args[0], "draft") == 0 && nargs == 3 &&
        strcmp(args[1], "discard") == 0) {
        char pid[80], path[400];
        json_t *doc;
        long code;

        if (page_id(ctl, pid, sizeof(pid)) != 0) {
            return 1;
        }
        snprintf(path, sizeof(path), "/v1/pages/%s/incidents/%s", pid,
                 args[2]);
        doc = request_json(ctl, "DELETE", path, NULL, &code);
        return done(ctl, doc, "discarded");
    }
    fprintf(stderr, "pharosctl: drafts | draft publish ID | draft discard "
                    "ID\n");
    return 2;
}
