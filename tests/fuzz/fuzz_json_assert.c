/*
 * fuzz_json_assert.c - libFuzzer target for what a probe does with an
 * untrusted HTTP body: JSONPath parsing (jsonpath.c), JSON parsing and
 * every assertion operator and extraction on it (json_assert.c), header
 * assertions (text_assert), and {{variable}} expansion and secret masking
 * of the values taken from it (template.c).
 *
 * Input: "<path>\n<op>\n<value>\n<body>"; missing lines are empty. Any
 * input must be judged or refused cleanly, without crashing or leaking.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "json_assert.h"
#include "jsonpath.h"
#include "mem.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next line of *p (NUL-terminated copy into out, cut to len - 1). */
static void
take_line(const char **p, const char *end, char *out, size_t len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = (size_t)((nl != NULL ? nl : end) - *p);

    if (n >= len) {
        n = len - 1;
    }
    memcpy(out, *p, n);
    out[n] = '\0';
    *p = nl != NULL ? nl + 1 : end;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *end = p + size;
    char path[JSONPATH_TEXT_MAX + 8], opname[16], value[512];
    char err[160], out[256];
    struct jsonpath jp;
    struct json_doc *doc;
    struct tvars vs;
    struct buf b;
    char *body;
    size_t blen;
    int op;

    take_line(&p, end, path, sizeof(path));
    take_line(&p, end, opname, sizeof(opname));
    take_line(&p, end, value, sizeof(value));
    blen = (size_t)(end - p);
    /* Bodies reach the probe NUL-terminated (struct buf). */
    body = ph_malloc(blen + 1);
    if (body == NULL) {
        return 0;
    }
    memcpy(body, p, blen);
    body[blen] = '\0';

    (void)jsonpath_parse(path, &jp, err, sizeof(err));
    op = assert_op_parse(opname);
    (void)text_assert("header X", body, op, value, err, sizeof(err));
    (void)text_assert("header X", NULL, op, value, err, sizeof(err));

    doc = json_doc_parse(body, blen, err, sizeof(err));
    tvars_init(&vs);
    if (doc != NULL) {
        for (int o = AOP_NONE; o <= AOP_LENGTH; o++) {
            (void)json_assert(doc, path, o, value, err, sizeof(err));
            (void)json_assert(doc, path, o, NULL, err, sizeof(err));
        }
        if (json_extract(doc, path, out, sizeof(out), err, sizeof(err)) == 0) {
            (void)tvars_set(&vs, "v", out, strlen(out), 1);
        }
        json_doc_destroy(doc);
    }
    /* The value as a template over what was extracted, then masked. */
    buf_init(&b, 4096);
    (void)template_expand(value, &vs, &b, err, sizeof(err));
    if (b.data != NULL) {
        char masked[160];

        memcpy(masked, b.data,
               b.len < sizeof(masked) ? b.len + 1 : sizeof(masked));
        masked[sizeof(masked) - 1] = '\0';
        tvars_redact(&vs, masked, sizeof(masked));
    }
    buf_free(&b);
    tvars_free(&vs);
    ph_free(body);
    return 0;
}
