/*
 * signup.c - subscriptions changed by a request in three steps
 * (signup.h).
 */
#include "signup.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "notify_rules.h"
#include "ph_err.h"
#include "sign.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"

#define DAY_MS (86400LL * 1000)

enum signup_kind { SU_SUBSCRIBE, SU_CONFIRM, SU_UNSUBSCRIBE };

/* What happened in the store step, for the finish. */
enum signup_outcome {
    SO_NONE,
    SO_NEW,            /* a new subscriber */
    SO_ACTIVATED,      /* a pending one made active (skip, or a link) */
    SO_UNSUBSCRIBED,
};

struct signup {
    enum signup_kind kind;
    /* SU_SUBSCRIBE: the request, the new subscriber as it would be. */
    struct notify_sub_request r;
    struct store_subscriber sub;   /* also the result */
    char unsub_sha[TOKEN_HASH_HEX];
    char secret[STORE_SUB_SECRET_MAX];
    /* The confirmation email, rendered in advance (email only). */
    int email;
    char confirm_sha[TOKEN_HASH_HEX];
    char msg_id[NOTIFY_MSG_ID_MAX];
    struct buf msg;
    int64_t msg_date_ms;
    /* The configuration's limits at prepare time. */
    int64_t max_subscribers;
    int64_t confirm_daily_max;
    int64_t confirm_every_ms;
    /* Links: the token's hash. */
    char token_sha[TOKEN_HASH_HEX];
    /* Results of the store step. */
    int existing;
    int confirm_sent;
    enum signup_outcome outcome;
    char errmsg[128];
};

static struct signup *
signup_alloc(enum signup_kind kind)
{
    struct signup *s = ph_calloc(1, sizeof(*s));

    if (s != NULL) {
        s->kind = kind;
        buf_init(&s->msg, 65536);
    }
    return s;
}

void
signup_free(struct signup *s)
{
    if (s == NULL) {
        return;
    }
    buf_free(&s->msg);
    memset(s, 0, sizeof(*s)); /* tokens, secret */
    ph_free(s);
}

int
signup_prepare(struct hub *h, const struct notify_sub_request *r,
               struct signup **ret, char *err, size_t errlen)
{
    const struct conf_notify *nc = &h->conf.notify;
    int email = r->kind == NOTIFY_EMAIL;
    int64_t now = time_now_ms();
    struct signup *s = NULL;
    char tok[TOKEN_MAX];
    int rc;

    if (h->notify == NULL) {
        snprintf(err, errlen, "notifications are not running");
        return PH_EBUSY;
    }
    if (email && nc->smtp_url == NULL) {
        snprintf(err, errlen, "email notifications are not enabled on this "
                              "page");
        return PH_EINVAL;
    }
    if (email ? !notify_email_valid(r->address)
              : notify_url_check(r->address, nc->allow_private_targets, err,
                                 errlen) != 0) {
        if (email) {
            snprintf(err, errlen, "not a valid email address");
        }
        return PH_EINVAL;
    }
    s = signup_alloc(SU_SUBSCRIBE);
    if (s == NULL) {
        return PH_ENOMEM;
    }
    s->r = *r;
    s->email = email;
    s->max_subscribers = (int64_t)nc->max_subscribers;
    s->confirm_daily_max = (int64_t)nc->confirm_daily_max;
    s->confirm_every_ms = (int64_t)nc->confirm_every_ms;
    /* The subscriber this would create. */
    if (token_random_id(s->sub.id, INC_ID_LEN + 1) != 0) {
        rc = PH_EIO;
        goto fail;
    }
    snprintf(s->sub.kind, sizeof(s->sub.kind), "%s",
             notify_kind_name(r->kind));
    snprintf(s->sub.address, sizeof(s->sub.address), "%s", r->address);
    snprintf(s->sub.components, sizeof(s->sub.components), "%s",
             r->components);
    snprintf(s->sub.state, sizeof(s->sub.state), "%s",
             email && !r->skip_confirmation ? "pending" : "active");
    s->sub.created_ms = now;
    s->sub.updated_ms = now;
    s->sub.confirmed_ms = strcmp(s->sub.state, "active") == 0 ? now : 0;
    if (r->kind == NOTIFY_WEBHOOK) {
        if (sign_secret_generate(s->sub.secret) != 0) {
            rc = PH_EIO;
            goto fail;
        }
        memcpy(s->secret, s->sub.secret, STORE_SUB_SECRET_MAX);
    }
    rc = notify_unsub_hash(h, s->sub.id, s->unsub_sha);
    if (rc != 0) {
        goto fail;
    }
    /* A new or a pending email subscriber gets this confirmation (the
     * store step decides whether it may). */
    if (email && !r->skip_confirmation) {
        if (token_generate(tok, sizeof(tok)) != 0) {
            rc = PH_EIO;
            goto fail;
        }
        token_hash(tok, strlen(tok), s->confirm_sha);
        rc = notify_confirm_render(h, r->address, tok, s->msg_id, &s->msg,
                                   &s->msg_date_ms);
        memset(tok, 0, sizeof(tok));
        if (rc != 0) {
            goto fail;
        }
    }
    *ret = s;
    return 0;
fail:
    signup_free(s);
    return rc;
}

int
signup_link_prepare(const char *token, int unsubscribe, struct signup **ret)
{
    struct signup *s;

    if (strlen(token) > TOKEN_MAX) {
        return PH_ENOENT;
    }
    s = signup_alloc(unsubscribe ? SU_UNSUBSCRIBE : SU_CONFIRM);
    if (s == NULL) {
        return PH_ENOMEM;
    }
    token_hash(token, strlen(token), s->token_sha);
    *ret = s;
    return 0;
}

/* A new confirmation for s->sub: its token's hash, then its email. */
static int
put_confirmation(struct store *db, struct signup *s)
{
    struct store_outbox_new o;
    char idem[128];
    int rc;

    if (s->msg.data == NULL) {
        return 0;
    }
    rc = store_sub_set_confirm(db, s->sub.id, s->confirm_sha,
                               time_now_ms());
    if (rc != 0) {
        return rc;
    }
    snprintf(idem, sizeof(idem), "confirm:%s:%s", s->sub.id, s->msg_id);
    memset(&o, 0, sizeof(o));
    o.idem_key = idem;
    o.msg_id = s->msg_id;
    o.subscriber_id = s->sub.id;
    o.event = "confirm";
    o.payload = s->msg.data;
    o.now_ms = s->msg_date_ms;
    o.due_ms = s->msg_date_ms;
    rc = store_outbox_put(db, &o);
    if (rc == 0) {
        s->confirm_sent = 1;
    }
    return rc;
}

/* 1 when sub may get another confirmation email now (notify.c's rule:
 * at most confirm_daily_max a day, confirm_every apart). */
static int
confirmation_allowed(struct store *db, const struct signup *s, int64_t now)
{
    int64_t count = 0, last = 0;

    if (store_outbox_sent_since(db, s->sub.id, "confirm", now - DAY_MS,
                                &count, &last) != 0) {
        return 0; /* when in doubt, send nothing */
    }
    return !(count >= s->confirm_daily_max ||
             (count > 0 && now - last < s->confirm_every_ms));
}

static int
store_subscribe(struct store *db, struct signup *s)
{
    struct store_subscriber found;
    int64_t count = 0, now = time_now_ms();
    int rc;

    rc = store_sub_find(db, s->sub.kind, s->sub.address, &found);
    if (rc == 0) {
        s->existing = 1;
        /* The stored one is the answer; the prepared one is dropped
         * (its secret too: only a new webhook shows one). */
        s->sub = found;
        s->secret[0] = '\0';
        if (strcmp(found.state, "pending") == 0) {
            if (s->r.skip_confirmation) {
                rc = store_sub_set_state(db, found.id, "active", now);
                snprintf(s->sub.state, sizeof(s->sub.state), "active");
                s->outcome = SO_ACTIVATED;
            } else if (confirmation_allowed(db, s, now)) {
                rc = put_confirmation(db, s);
            }
        }
        return rc;
    }
    if (rc != PH_ENOENT) {
        return rc;
    }
    if (store_sub_count(db, &count) != 0) {
        return PH_EDB;
    }
    if (count >= s->max_subscribers) {
        snprintf(s->errmsg, sizeof(s->errmsg),
                 "this page takes no more subscribers");
        return PH_EBUSY;
    }
    rc = store_sub_add(db, &s->sub, NULL, s->unsub_sha);
    if (rc != 0) {
        return rc;
    }
    s->outcome = SO_NEW;
    if (strcmp(s->sub.state, "pending") == 0) {
        rc = put_confirmation(db, s);
    }
    return rc;
}

static int
store_link(struct store *db, struct signup *s)
{
    int unsub = s->kind == SU_UNSUBSCRIBE;
    const char *from = unsub ? NULL : "pending";
    const char *to = unsub ? "unsubscribed" : "active";
    int rc = store_sub_by_token(db, unsub, s->token_sha, &s->sub);

    if (rc != 0) {
        return rc;
    }
    if (unsub ? strcmp(s->sub.state, to) != 0
              : strcmp(s->sub.state, from) == 0) {
        rc = store_sub_set_state(db, s->sub.id, to, time_now_ms());
        if (rc == 0) {
            snprintf(s->sub.state, sizeof(s->sub.state), "%s", to);
            s->outcome = unsub ? SO_UNSUBSCRIBED : SO_ACTIVATED;
        }
    }
    return rc;
}

int
signup_store(struct store *db, struct signup *s)
{
    int rc = s->kind == SU_SUBSCRIBE ? store_subscribe(db, s)
                                     : store_link(db, s);

    if (rc != 0 && rc != PH_ENOENT && s->errmsg[0] == '\0') {
        snprintf(s->errmsg, sizeof(s->errmsg), "%s", store_errmsg(db));
    }
    return rc;
}

int
signup_finish(struct hub *h, struct signup *s, int result,
              struct store_subscriber *ret,
              char ret_secret[STORE_SUB_SECRET_MAX], int *ret_existing,
              char *err, size_t errlen)
{
    *ret = s->sub;
    if (ret_secret != NULL) {
        memcpy(ret_secret, s->secret, STORE_SUB_SECRET_MAX);
    }
    if (ret_existing != NULL) {
        *ret_existing = s->existing;
    }
    if (s->confirm_sent) {
        /* Stored even when a later step failed: the worker sends it. */
        h->metrics.notify_enqueued[NOTIFY_EMAIL]++;
        notify_kick(h);
    }
    switch (s->outcome) {
    case SO_NEW:
        log_info("notify: new %s subscriber %s (%s)", s->sub.kind, s->sub.id,
                 s->sub.state);
        break;
    case SO_ACTIVATED:
        log_info("notify: subscriber %s confirmed", s->sub.id);
        break;
    case SO_UNSUBSCRIBED:
        log_info("notify: subscriber %s unsubscribed", s->sub.id);
        break;
    case SO_NONE:
        break;
    }
    if (result != 0 && result != PH_ENOENT) {
        if (s->errmsg[0] != '\0' && result == PH_EBUSY) {
            snprintf(err, errlen, "%s", s->errmsg);
        } else {
            log_warnx("notify: cannot change a subscription: %s",
                      s->errmsg[0] ? s->errmsg : ph_strerror(result));
        }
    }
    return result;
}
