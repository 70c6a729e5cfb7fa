/*
 * notify_fmt.h - the bytes of each notification, free of I/O: the email
 * message (RFC 5322 + MIME, plain text and HTML parts), the Slack
 * incoming-webhook JSON, and the Statuspage webhook envelope (see
 * shared/reference/statuspage-format.md section 3 and integrations.md
 * section 3). notify.c fills struct notify_text from incidents and
 * component changes; notify_send.c only moves the bytes.
 */
#ifndef PH_NOTIFY_FMT_H
#define PH_NOTIFY_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define NOTIFY_PAYLOAD_MAX (1024 * 1024)  /* one message, any channel */

/* What a human-readable notification says (all borrowed, UTF-8; any may
 * be NULL except title). */
struct notify_text {
    const char *page_name;
    const char *kind_label;   /* "Incident", "Scheduled maintenance", ... */
    const char *title;        /* incident name or "API is degraded" */
    const char *status;       /* "Investigating", "Major outage" */
    const char *body;         /* the newest update's text */
    const char *impact;       /* none|minor|major|critical|maintenance */
    const char *components;   /* "API, Web" */
    const char *when;         /* "2026-01-10 12:00 UTC" or a window */
    const char *link;         /* the page (or the incident on it) */
    const char *unsubscribe;  /* URL, NULL for a confirmation */
    int64_t at_ms;            /* time of the event */
    int lang;                 /* PH_LANG_* of the labels (0: English) */
};

struct notify_email {
    const char *from;         /* header value: "Name <a@b>" */
    const char *to;           /* bare address */
    const char *subject;
    const char *text;         /* plain text part */
    const char *html;         /* HTML part (already escaped) */
    const char *message_id;   /* "<id@host>" */
    const char *unsubscribe;  /* List-Unsubscribe URL or NULL */
    int64_t date_ms;
};

/* Appends s escaped for HTML (buf_append_html()). */
int notify_html_escape(const char *s, struct buf *out);
/* Appends the plain text and the HTML version of t. */
int notify_text_plain(const struct notify_text *t, struct buf *out);
int notify_text_html(const struct notify_text *t, struct buf *out);
/* The Subject for t: "[Page] Title: Status". */
int notify_subject(const struct notify_text *t, struct buf *out);
/* "Tue, 25 Nov 2025 05:14:00 +0000" (RFC 5322 date, UTC) into out[40]. */
void notify_rfc5322_date(int64_t ms, char out[40]);
/* The whole message with CRLF line ends, a multipart/alternative body
 * (base64 parts), Date, Message-ID, MIME headers and, when unsubscribe
 * is set, List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). Header
 * values lose control characters; a non-ASCII subject is RFC 2047
 * encoded. Returns 0, PH_EINVAL or PH_ETOOBIG. */
int notify_email_format(const struct notify_email *m, struct buf *out);

/* Appends the Slack incoming-webhook body (JSON) to out: text fallback,
 * blocks (header, section, context with the links) and one attachment
 * coloured by impact. Returns 0, PH_ENOMEM or PH_ETOOBIG. */
int notify_slack_body(const struct notify_text *t, struct buf *out);
/* The attachment colour of an impact ("#e74c3c" for critical, ...). */
const char *notify_impact_color(const char *impact);

/* One Statuspage webhook event, the same for every subscriber (all
 * borrowed). */
struct notify_webhook {
    const char *page_id;
    const char *indicator;     /* page status_indicator */
    const char *description;   /* page status_description */
    int64_t now_ms;            /* meta.generated_at */
    const char *event;         /* a JSON object's text whose members follow
                                  meta and page: {"incident": {...}} or
                                  {"component_update": .., "component": ..} */
    size_t event_len;
};

/* Appends one subscriber's webhook body (JSON) to out: the envelope, meta
 * {unsubscribe (NULL gives null), documentation, generated_at} and page
 * {id, status_indicator, status_description}, then the members of
 * w->event. Returns 0, PH_EINVAL (event is not a JSON object), PH_ENOMEM
 * or PH_ETOOBIG. */
int notify_webhook_body(const struct notify_webhook *w,
                        const char *unsubscribe, struct buf *out);

#endif
