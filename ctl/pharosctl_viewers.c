/*
 * pharosctl_viewers.c - pharosctl's viewer commands over /v1/viewers
 * (viewers of a page with page.access: token; admin key needed):
 *
 *   viewer add NAME       make a viewer; its link is printed once
 *   viewer list           names, creation and revocation
 *   viewer revoke NAME    the link and its sessions stop working
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "pharosctl.h"

static int
viewer_add(const struct ctl *ctl, const char *name)
{
    json_t *b = json_object(), *doc;
    char *body = NULL;
    size_t n;
    long code;
    int rc;

    json_object_set_new(b, "name", json_string(name));
    rc = ph_json_dump(b, 0, CTL_BODY_MAX, &body, &n);
    if (rc != 0) {
        return 1;
    }
    doc = request_json(ctl, "POST", "/v1/viewers", body, &code);
    ph_free(body);
    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("viewer %s added; the link is shown only this once:\n%s\n",
               jstr(doc, "name"), jstr(doc, "link"));
        if (json_is_string(json_object_get(doc, "warning"))) {
            fprintf(stderr, "pharosctl: %s\n", jstr(doc, "warning"));
        }
    }
    json_decref(doc);
    return 0;
}

static int
viewer_list(const struct ctl *ctl)
{
    json_t *doc = get_json(ctl, "/v1/viewers"), *v;
    size_t i;

    if (doc == NULL) {
        return 1;
    }
    if (!print_or_dump(ctl, doc)) {
        printf("%-32s %-24s %s\n", "NAME", "CREATED", "REVOKED");
        json_array_foreach(doc, i, v) {
            printf("%-32s %-24s %s\n", jstr(v, "name"),
                   jstr(v, "created_at"),
                   json_is_string(json_object_get(v, "revoked_at"))
                       ? jstr(v, "revoked_at")
                       : "-");
        }
    }
    json_decref(doc);
    return 0;
}

static int
viewer_revoke(const struct ctl *ctl, const char *name)
{
    char path[300];
    json_t *doc;
    long code;

    if (snprintf(path, sizeof(path), "/v1/viewers/%s", name) >=
        (int)sizeof(path)) {
        fprintf(stderr, "pharosctl: viewer name too long\n");
        return 2;
    }
    doc = request_json(ctl, "DELETE", path, NULL, &code);
    if (doc == NULL) {
        return 1;
    }
    json_decref(doc);
    printf("viewer %s revoked\n", name);
    return 0;
}

int
ctl_viewers(const struct ctl *ctl, const char *const *args, size_t nargs)
{
    if (nargs == 3 && strcmp(args[1], "add") == 0) {
        return viewer_add(ctl, args[2]);
    }
    if (nargs == 2 && strcmp(args[1], "list") == 0) {
        return viewer_list(ctl);
    }
    if (nargs == 3 && strcmp(args[1], "revoke") == 0) {
        return viewer_revoke(ctl, args[2]);
    }
    fprintf(stderr, "pharosctl: usage: viewer add NAME | viewer list | "
                    "viewer revoke NAME\n");
    return 2;
}
