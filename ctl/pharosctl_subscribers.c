/*
 * pharosctl_subscribers.c - pharosctl's subscribers commands over the v1
 * /subscribers endpoints: list, add (a webhook's signing secret is shown
 * once), remove.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "pharosctl.h"

#define SUB_BODY_MAX 8190   /* the body of subscribers add */

static int
cmd_subscribers(const struct ctl *ctl, const char *state)
{
    char pid[80], path[300];
    json_t *doc, *s;
    size_t i;

    if (page_id(ctl, pid, sizeof(pid)) != 0) {
        return 1;
    }
    snprintf(path, sizeof(path), "/v1/pages/%s/subscribers%s%s", pid,
             state != NULL ? "?state=" : "", state != NULL ? state : "");
    doc = get_json(ctl, path);
    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("%-13s %-8s %-12s %-9s %-24s %s\n", "ID", "KIND", "STATE",
               "FAILURES", "CREATED", "ADDRESS");
        json_array_foreach(doc, i, s) {
            json_t *addr = json_object_get(s, "email");
            if (!json_is_string(addr)) {
                addr = json_object_get(s, "endpoint");
            }
            printf("%-13s %-8s %-12s %-9lld %-24s %s\n", jstr(s, "id"),
                   jstr(s, "mode"), jstr(s, "state"),
                   (long long)json_integer_value(
                       json_object_get(s, "failures")),
                   jstr(s, "created_at"),
                   json_is_string(addr) ? json_string_value(addr) : "");
        }
    }
    json_decref(doc);
    return 0;
}

/* kind is email, webhook or slack; components a comma-separated list or
 * NULL; confirm skips the confirmation email of an email subscriber. */
static int
cmd_subscriber_add(const struct ctl *ctl, const char *kind,
                   const char *address, const char *components, int confirm)
{
    char pid[80], path[300];
    json_t *b = json_object(), *sub = json_object(), *ids = json_array();
    json_t *doc;
    char *body = NULL;
    size_t n;
    long code;
    int rc = 1;

    if (page_id(ctl, pid, sizeof(pid)) != 0) {
        goto out;
    }
    json_object_set_new(sub, "kind", json_string(kind));
    json_object_set_new(sub,
                        strcmp(kind, "email") == 0     ? "email"
                        : strcmp(kind, "slack") == 0 ? "slack_url"
                                                     : "endpoint",
                        json_string(address));
    for (const char *p = components; p != NULL && *p;) {
        size_t w = strcspn(p, ",");
        if (w > 0) {
            json_array_append_new(ids, json_stringn(p, w));
        }
        p += w + (p[w] == ',');
    }
    json_object_set(sub, "component_ids", ids);
    if (confirm) {
        json_object_set_new(sub, "skip_confirmation_notification",
                            json_true());
    }
    json_object_set(b, "subscriber", sub);
    if (ph_json_dump(json_incref(b), 0, SUB_BODY_MAX, &body, &n) != 0) {
        fprintf(stderr, "pharosctl: arguments too long\n");
        rc = 2;
        goto out;
    }
    snprintf(path, sizeof(path), "/v1/pages/%s/subscribers", pid);
    doc = request_json(ctl, "POST", path, body, &code);
    if (doc == NULL) {
        goto out;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("subscriber %s (%s) %s: %s\n", jstr(doc, "id"),
               jstr(doc, "mode"), code == 201 ? "created" : "exists",
               jstr(doc, "state"));
        if (json_is_string(json_object_get(doc, "secret"))) {
            printf("signing secret: %s\n", jstr(doc, "secret"));
            printf("This secret is shown once. The receiver verifies the "
                   "webhook-signature header with it (Standard Webhooks).\n");
        }
    }
    json_decref(doc);
    rc = 0;
out:
    ph_free(body);
    json_decref(b);
    json_decref(sub);
    json_decref(ids);
    return rc;
}

static int
cmd_subscriber_remove(const struct ctl *ctl, const char *id)
{
    char pid[80], path[300];
    json_t *doc;
    long code;

    if (page_id(ctl, pid, sizeof(pid)) != 0) {
        return 1;
    }
    snprintf(path, sizeof(path), "/v1/pages/%s/subscribers/%s", pid, id);
    doc = request_json(ctl, "DELETE", path, NULL, &code);
    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("subscriber %s unsubscribed\n", id);
    }
    json_decref(doc);
    return 0;
}

int
ctl_subscribers(const struct ctl *ctl, const struct ctl_subscriber_opts *o,
                const char *const *args, size_t nargs)
{
    if (nargs == 2 && strcmp(args[1], "list") == 0) {
        return cmd_subscribers(ctl, o->state);
    }
    if (nargs == 4 && strcmp(args[1], "add") == 0) {
        return cmd_subscriber_add(ctl, args[2], args[3], o->components,
                                  o->confirmed);
    }
    if (nargs == 3 && strcmp(args[1], "remove") == 0) {
        return cmd_subscriber_remove(ctl, args[2]);
    }
    fprintf(stderr, "pharosctl: subscribers list|add|remove; see --help\n");
    return 2;
}
