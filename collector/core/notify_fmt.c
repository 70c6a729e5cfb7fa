/*
 * notify_fmt.c - email, Slack and webhook bodies (notify_fmt.h).
 */
#include "notify_fmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "lang.h"
#include "mem.h"
#include "notify_msgs.h"
#include "ph_err.h"
#include "sign.h"
#include "timefmt.h"

#define SLACK_HEADER_MAX 150
#define SLACK_SECTION_MAX 3000
#define SLACK_TEXT_MAX 3000

int
notify_html_escape(const char *s, struct buf *out)
{
    return buf_append_html(out, s);
}

static const char *
or_empty(const char *s)
{
    return s != NULL ? s : "";
}

int
notify_subject(const struct notify_text *t, struct buf *out)
{
    if (t->status != NULL && t->status[0] != '\0') {
        return buf_printf(out, "[%s] %s: %s", or_empty(t->page_name),
                          t->title, t->status);
    }
    return buf_printf(out, "[%s] %s", or_empty(t->page_name), t->title);
}

/* "Label: value\n" with the label from the catalogue. */
static void
plain_row(struct buf *out, int lang, enum notify_msg label, const char *v)
{
    buf_printf(out, "%s: %s\n", notify_msg(lang, label), v);
}

int
notify_text_plain(const struct notify_text *t, struct buf *out)
{
    buf_printf(out, "%s%s%s\n\n", t->kind_label ? t->kind_label : "",
               t->kind_label ? ": " : "", t->title);
    if (t->status != NULL) {
        plain_row(out, t->lang, NMSG_LABEL_STATUS, t->status);
    }
    if (t->components != NULL && t->components[0] != '\0') {
        plain_row(out, t->lang, NMSG_LABEL_AFFECTED, t->components);
    }
    if (t->when != NULL) {
        plain_row(out, t->lang, NMSG_LABEL_WHEN, t->when);
    }
    if (t->body != NULL && t->body[0] != '\0') {
        buf_printf(out, "\n%s\n", t->body);
    }
    if (t->link != NULL) {
        buf_appends(out, "\n");
        plain_row(out, t->lang, NMSG_LABEL_PAGE, t->link);
    }
    if (t->unsubscribe != NULL) {
        buf_appends(out, "\n");
        plain_row(out, t->lang, NMSG_LABEL_UNSUBSCRIBE, t->unsubscribe);
    }
    return buf_appends(out, "");
}

static void
html_row(struct buf *out, const char *label, const char *v)
{
    if (v == NULL || v[0] == '\0') {
        return;
    }
    buf_appends(out, "<p style=\"margin:4px 0\"><b>");
    notify_html_escape(label, out);
    buf_appends(out, ":</b> ");
    notify_html_escape(v, out);
    buf_appends(out, "</p>\n");
}

int
notify_text_html(const struct notify_text *t, struct buf *out)
{
    buf_printf(out, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
                    "<meta charset=\"utf-8\"><title>",
               lang_code(t->lang));
    notify_html_escape(t->title, out);
    buf_printf(out, "</title></head>\n<body style=\"font-family:sans-serif;"
                    "max-width:640px\">\n<div style=\"border-left:6px solid "
                    "%s;padding-left:12px\">\n<p style=\"color:#666;"
                    "margin:0\">",
               notify_impact_color(t->impact));
    notify_html_escape(or_empty(t->page_name), out);
    if (t->kind_label != NULL) {
        buf_appends(out, " &middot; ");
        notify_html_escape(t->kind_label, out);
    }
    buf_appends(out, "</p>\n<h2 style=\"margin:4px 0 12px\">");
    notify_html_escape(t->title, out);
    buf_appends(out, "</h2>\n");
    html_row(out, notify_msg(t->lang, NMSG_LABEL_STATUS), t->status);
    html_row(out, notify_msg(t->lang, NMSG_LABEL_AFFECTED), t->components);
    html_row(out, notify_msg(t->lang, NMSG_LABEL_WHEN), t->when);
    buf_appends(out, "</div>\n");
    if (t->body != NULL && t->body[0] != '\0') {
        /* Keep the author's line breaks without trusting any markup. */
        buf_appends(out, "<p style=\"white-space:pre-wrap\">");
        notify_html_escape(t->body, out);
        buf_appends(out, "</p>\n");
    }
    if (t->link != NULL) {
        buf_appends(out, "<p><a href=\"");
        notify_html_escape(t->link, out);
        buf_appends(out, "\">");
        notify_html_escape(notify_msg(t->lang, NMSG_VIEW_PAGE), out);
        buf_appends(out, "</a></p>\n");
    }
    if (t->unsubscribe != NULL) {
        buf_appends(out, "<p style=\"color:#666;font-size:small\"><a href=\"");
        notify_html_escape(t->unsubscribe, out);
        buf_appends(out, "\">");
        notify_html_escape(notify_msg(t->lang, NMSG_UNSUBSCRIBE_LINK), out);
        buf_appends(out, "</a></p>\n");
    }
    return buf_appends(out, "</body></html>\n");
}

void
notify_rfc5322_date(int64_t ms, char out[40])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000",
             days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Appends "Name: value" with control characters turned into spaces. */
static int
header(struct buf *out, const char *name, const char *v)
{
    buf_printf(out, "%s: ", name);
    for (; *v; v++) {
        unsigned char ch = (unsigned char)*v;
        char c = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
        buf_append(out, &c, 1);
    }
    return buf_appends(out, "\r\n");
}

static int
is_ascii_printable(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* Subject as RFC 2047 encoded words of at most 45 input bytes each (cut
 * at UTF-8 character boundaries), folded onto continuation lines. */
static int
subject_header(struct buf *out, const char *subject)
{
    size_t n = strlen(subject), i = 0;
    char clean[1024];
    size_t cl = 0;

    if (is_ascii_printable(subject) && n < 900) {
        return header(out, "Subject", subject);
    }
    for (i = 0; i < n && cl + 1 < sizeof(clean); i++) {
        unsigned char ch = (unsigned char)subject[i];
        clean[cl++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    /* Never end inside a UTF-8 sequence after truncation. */
    while (cl > 0 && ((unsigned char)clean[cl - 1] & 0xc0) == 0x80) {
        cl--;
    }
    if (cl > 0 && ((unsigned char)clean[cl - 1] & 0xc0) == 0xc0) {
        cl--;
    }
    buf_appends(out, "Subject:");
    for (i = 0; i < cl;) {
        size_t take = cl - i < 45 ? cl - i : 45;
        char enc[80];

        while (i + take < cl &&
               ((unsigned char)clean[i + take] & 0xc0) == 0x80) {
            take--;
        }
        if (take == 0) {
            take = 1;
        }
        if (sign_base64(clean + i, take, enc, sizeof(enc)) < 0) {
            return PH_EINVAL;
        }
        buf_printf(out, "%s=?UTF-8?B?%s?=\r\n", i == 0 ? " " : " ", enc);
        i += take;
    }
    return buf_appends(out, "");
}

/* Appends base64 of s in lines of 76 characters. */
static int
base64_lines(struct buf *out, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i < n; i += 57) {
        char line[80];
        size_t take = n - i < 57 ? n - i : 57;

        if (sign_base64(s + i, take, line, sizeof(line)) < 0) {
            return PH_EINVAL;
        }
        buf_printf(out, "%s\r\n", line);
    }
    return buf_appends(out, "");
}

int
notify_email_format(const struct notify_email *m, struct buf *out)
{
    char date[40], boundary[64];
    uint32_t h = 2166136261u;

    if (m->from == NULL || m->to == NULL || m->message_id == NULL ||
        m->subject == NULL || m->text == NULL) {
        return PH_EINVAL;
    }
    for (const char *p = m->message_id; *p; p++) {
        h = (h ^ (unsigned char)*p) * 16777619u;
    }
    snprintf(boundary, sizeof(boundary), "=_pharos_%08x", h);
    notify_rfc5322_date(m->date_ms, date);
    header(out, "Date", date);
    header(out, "From", m->from);
    header(out, "To", m->to);
    subject_header(out, m->subject);
    header(out, "Message-ID", m->message_id);
    header(out, "MIME-Version", "1.0");
    header(out, "Auto-Submitted", "auto-generated");
    if (m->unsubscribe != NULL) {
        buf_printf(out, "List-Unsubscribe: <");
        for (const char *p = m->unsubscribe; *p; p++) {
            if ((unsigned char)*p > 0x20 && *p != '>' && *p != 0x7f) {
                buf_append(out, p, 1);
            }
        }
        buf_appends(out, ">\r\n");
        header(out, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }
    if (m->html == NULL) {
        header(out, "Content-Type", "text/plain; charset=utf-8");
        header(out, "Content-Transfer-Encoding", "base64");
        buf_appends(out, "\r\n");
        base64_lines(out, m->text);
        return buf_appends(out, "");
    }
    buf_printf(out,
               "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
               "\r\nThis is a multi-part message in MIME format.\r\n"
               "\r\n--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n",
               boundary, boundary);
    base64_lines(out, m->text);
    buf_printf(out,
               "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n",
               boundary);
    base64_lines(out, m->html);
    return buf_printf(out, "\r\n--%s--\r\n", boundary);
}

const char *
notify_impact_color(const char *impact)
{
    if (impact == NULL) {
        return "#2ecc71";
    }
    if (strcmp(impact, "critical") == 0) {
        return "#e74c3c";
    }
    if (strcmp(impact, "major") == 0) {
        return "#e67e22";
    }
    if (strcmp(impact, "minor") == 0) {
        return "#f1c40f";
    }
    if (strcmp(impact, "maintenance") == 0) {
        return "#3498db";
    }
    return "#2ecc71";
}

/* Slack mrkdwn needs &, < and > escaped; text is cut at max bytes on a
 * UTF-8 boundary. */
static json_t *
slack_str(const char *s, size_t max)
{
    struct buf b;
    json_t *j;

    buf_init(&b, max * 5 + 16);
    for (; *s && b.len < max; s++) {
        switch (*s) {
        case '&':
            buf_appends(&b, "&amp;");
            break;
        case '<':
            buf_appends(&b, "&lt;");
            break;
        case '>':
            buf_appends(&b, "&gt;");
            break;
        default:
            buf_append(&b, s, 1);
        }
    }
    if (*s != '\0') {
        while (b.len > 0 && ((unsigned char)b.data[b.len - 1] & 0xc0) == 0x80) {
            b.len--;
        }
        if (b.len > 0 && ((unsigned char)b.data[b.len - 1] & 0xc0) == 0xc0) {
            b.len--;
        }
        if (b.data != NULL) {
            b.data[b.len] = '\0';
        }
    }
    j = json_stringn(b.data != NULL ? b.data : "", b.len);
    buf_free(&b);
    return j != NULL ? j : json_string("");
}

static json_t *
text_obj(const char *type, json_t *text)
{
    json_t *o = json_object();

    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "text", text);
    return o;
}

static json_t *
slack_json(const struct notify_text *t)
{
    json_t *root = json_object();
    json_t *blocks = json_array();
    json_t *att = json_object();
    json_t *fields = json_array();
    json_t *section, *ctx, *elems, *f;
    struct buf b;

    if (root == NULL || blocks == NULL || att == NULL || fields == NULL) {
        json_decref(root);
        json_decref(blocks);
        json_decref(att);
        json_decref(fields);
        return NULL;
    }
    buf_init(&b, SLACK_TEXT_MAX * 2);
    buf_printf(&b, "%s%s%s", t->title, t->status ? ": " : "",
               or_empty(t->status));
    if (t->link != NULL) {
        buf_printf(&b, " - %s", t->link);
    }
    json_object_set_new(root, "text",
                        slack_str(b.data ? b.data : t->title, SLACK_TEXT_MAX));
    buf_free(&b);

    section = json_object();
    json_object_set_new(section, "type", json_string("header"));
    {
        /* plain_text: no mrkdwn escaping, just the length cap. */
        char head[SLACK_HEADER_MAX + 1];
        size_t n = strlen(t->title);
        if (n > SLACK_HEADER_MAX) {
            n = SLACK_HEADER_MAX;
            while (n > 0 && ((unsigned char)t->title[n] & 0xc0) == 0x80) {
                n--;
            }
        }
        memcpy(head, t->title, n);
        head[n] = '\0';
        json_object_set_new(section, "text",
                            text_obj("plain_text", json_string(head)));
    }
    json_array_append_new(blocks, section);

    buf_init(&b, SLACK_SECTION_MAX * 2);
    if (t->status != NULL) {
        buf_printf(&b, "*%s*", t->status);
    }
    if (t->body != NULL && t->body[0] != '\0') {
        buf_printf(&b, "%s%s", t->status ? " - " : "", t->body);
    }
    if (b.len > 0) {
        section = json_object();
        json_object_set_new(section, "type", json_string("section"));
        json_object_set_new(section, "text",
                            text_obj("mrkdwn",
                                     slack_str(b.data, SLACK_SECTION_MAX)));
        json_array_append_new(blocks, section);
    }
    buf_free(&b);
    if (t->link != NULL || t->unsubscribe != NULL) {
        buf_init(&b, 8192);
        if (t->link != NULL) {
            buf_printf(&b, "<%s|%s>", t->link,
                       t->page_name ? t->page_name
                                    : notify_msg(t->lang, NMSG_LABEL_PAGE));
        }
        if (t->unsubscribe != NULL) {
            buf_printf(&b, "%s<%s|%s>", t->link ? " | " : "",
                       t->unsubscribe,
                       notify_msg(t->lang, NMSG_LABEL_UNSUBSCRIBE));
        }
        ctx = json_object();
        elems = json_array();
        json_object_set_new(ctx, "type", json_string("context"));
        /* Links are ours (URL-safe), so this text is not escaped. */
        json_array_append_new(elems,
                              text_obj("mrkdwn",
                                       json_string(b.data ? b.data : "")));
        json_object_set_new(ctx, "elements", elems);
        json_array_append_new(blocks, ctx);
        buf_free(&b);
    }
    json_object_set_new(root, "blocks", blocks);

    json_object_set_new(att, "color",
                        json_string(notify_impact_color(t->impact)));
    json_object_set_new(att, "fallback", slack_str(t->title, 1024));
    json_object_set_new(att, "title", slack_str(t->title, 1024));
    if (t->link != NULL) {
        json_object_set_new(att, "title_link", json_string(t->link));
    }
    if (t->status != NULL) {
        f = json_object();
        json_object_set_new(
            f, "title", json_string(notify_msg(t->lang, NMSG_LABEL_STATUS)));
        json_object_set_new(f, "value", slack_str(t->status, 200));
        json_object_set_new(f, "short", json_true());
        json_array_append_new(fields, f);
    }
    if (t->components != NULL && t->components[0] != '\0') {
        f = json_object();
        json_object_set_new(
            f, "title",
            json_string(notify_msg(t->lang, NMSG_LABEL_AFFECTED)));
        json_object_set_new(f, "value", slack_str(t->components, 1000));
        json_object_set_new(f, "short", json_true());
        json_array_append_new(fields, f);
    }
    json_object_set_new(att, "fields", fields);
    if (t->page_name != NULL) {
        json_object_set_new(att, "footer", slack_str(t->page_name, 300));
    }
    json_object_set_new(att, "ts", json_integer(t->at_ms / 1000));
    json_object_set_new(root, "attachments", json_pack("[o]", att));
    return root;
}

int
notify_slack_body(const struct notify_text *t, struct buf *out)
{
    json_t *j = slack_json(t);
    int rc;

    if (j == NULL) {
        return PH_ENOMEM;
    }
    rc = ph_json_dump_buf(j, 0, out);
    json_decref(j);
    return rc;
}

static json_t *
envelope(const char *page_id, const char *indicator, const char *description,
         const char *unsubscribe, int64_t now_ms)
{
    json_t *root = json_object();
    json_t *meta = json_object();
    json_t *page = json_object();
    char iso[ISO8601_MAX];

    if (root == NULL || meta == NULL || page == NULL) {
        json_decref(root);
        json_decref(meta);
        json_decref(page);
        return NULL;
    }
    time_iso8601(now_ms, iso);
    json_object_set_new(meta, "unsubscribe", ph_json_str(unsubscribe));
    json_object_set_new(
        meta, "documentation",
        json_string("https://doers.statuspage.io/customer-notifications/"
                    "webhooks/"));
    json_object_set_new(meta, "generated_at", json_string(iso));
    json_object_set_new(page, "id", json_string(page_id));
    json_object_set_new(page, "status_indicator", json_string(indicator));
    json_object_set_new(page, "status_description", json_string(description));
    json_object_set_new(root, "meta", meta);
    json_object_set_new(root, "page", page);
    return root;
}

int
notify_webhook_body(const struct notify_webhook *w, const char *unsubscribe,
                    struct buf *out)
{
    json_t *ev = ph_json_parse(w->event, w->event_len, 0, NULL);
    json_t *root = NULL;
    int result;

    if (!json_is_object(ev)) {
        result = PH_EINVAL;   /* or out of memory while parsing */
        goto out;
    }
    root = envelope(w->page_id, w->indicator, w->description, unsubscribe,
                    w->now_ms);
    if (root == NULL || json_object_update(root, ev) != 0) {
        result = PH_ENOMEM;
        goto out;
    }
    result = ph_json_dump_buf(root, 0, out);
out:
    json_decref(root);
    json_decref(ev);
    return result;
}
