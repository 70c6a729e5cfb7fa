/*
 * http_resp.c - building a reply (struct http_response, http.h): a text
 * or a taken buffer, the JSON error body every endpoint answers with,
 * extra headers. No libmicrohttpd here: http.c sends what these build.
 */
#include "http.h"

#include <string.h>

#include "buf.h"
#include "mem.h"
#include "ph_err.h"

int
http_resp_text(struct http_response *resp, int status,
               const char *content_type, const char *text)
{
    size_t len = strlen(text);
    uint8_t *b = ph_malloc(len + 1);

    if (b == NULL) {
        resp->status = 500;
        resp->content_type = "text/plain";
        resp->static_body = (const uint8_t *)"out of memory\n";
        resp->body_len = strlen("out of memory\n");
        return PH_ENOMEM;
    }
    memcpy(b, text, len + 1);
    http_resp_take(resp, status, content_type, b, len);
    return 0;
}

void
http_resp_take(struct http_response *resp, int status,
               const char *content_type, uint8_t *body, size_t len)
{
    ph_free(resp->body);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
    resp->static_body = NULL;
    resp->body_len = len;
}

void
http_resp_error(struct http_response *resp, int status, const char *error,
                const char *message)
{
    struct buf b;
    char *text;

    /* Error strings are ours, but messages may quote input: escape. */
    buf_init(&b, 4096);
    buf_appends(&b, "{\"error\":\"");
    for (const char *p = error; *p; p++) {
        buf_append(&b, p, 1);
    }
    buf_appends(&b, "\",\"message\":\"");
    for (const unsigned char *p = (const unsigned char *)message; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_printf(&b, "\\%c", *p);
        } else if (*p < 0x20) {
            buf_printf(&b, "\\u%04x", *p);
        } else {
            buf_append(&b, p, 1);
        }
    }
    buf_appends(&b, "\"}\n");
    text = buf_steal(&b, NULL);
    if (text == NULL) {
        resp->status = status;
        return;
    }
    http_resp_take(resp, status, "application/json", (uint8_t *)text,
                   strlen(text));
    resp->cors = 1;
}

int
http_resp_header(struct http_response *resp, const char *name,
                 const char *value)
{
    if (resp->nheaders >= HTTP_MAX_EXTRA_HEADERS) {
        return PH_ETOOBIG;
    }
    resp->headers[resp->nheaders].value = ph_strdup(value);
    if (resp->headers[resp->nheaders].value == NULL) {
        return PH_ENOMEM;
    }
    resp->headers[resp->nheaders].name = name;
    resp->nheaders++;
    return 0;
}
