/*
 * fuzz_subscriber.c - libFuzzer target for the public sign-up body: the
 * JSON-or-Rails-form decoder (api_body.c) followed by the subscriber
 * reader (subscribers_parse) and the address checks the sign-up applies
 * (notify_email_valid, notify_url_check). Any input must give a request
 * or a message for the client, never a crash or an unterminated field.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "notify_rules.h"
#include "ph_err.h"
#include "pharos_conf.h"
#include "subscribers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pharos_conf *
conf(void)
{
    static const char yml[] = "page: {id: t, name: T}\nregions: [{id: r1}]\n"
                              "components:\n  - {id: api, name: API}\n"
                              "  - {id: web, name: Web}\n";
    static struct pharos_conf cf;
    static int loaded;
    struct conf_errs errs;

    if (!loaded) {
        memset(&errs, 0, sizeof(errs));
        if (pharos_conf_parse("f.yml", yml, strlen(yml), &cf, &errs) != 0) {
            __builtin_trap();
        }
        loaded = 1;
    }
    return &cf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct notify_sub_request r;
    char err[256];
    int rc;

    err[0] = '\0';
    rc = subscribers_parse((const char *)data, size, conf(), &r, err,
                           sizeof(err));
    if (rc != 0) {
        if ((rc != PH_EINVAL && rc != PH_EPARSE) || err[0] == '\0') {
            __builtin_trap();
        }
        return 0;
    }
    if (memchr(r.address, '\0', sizeof(r.address)) == NULL ||
        memchr(r.components, '\0', sizeof(r.components)) == NULL ||
        r.address[0] == '\0') {
        __builtin_trap();
    }
    if (r.kind == NOTIFY_EMAIL) {
        (void)notify_email_valid(r.address);
    } else {
        (void)notify_url_check(r.address, 0, err, sizeof(err));
    }
    return 0;
}
