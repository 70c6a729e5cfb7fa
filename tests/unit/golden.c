/*
 * golden.c - golden file checks shared by the unit tests (golden.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "golden.h"
#include "json.h"
#include "mem.h"

#define CONTEXT 3       /* equal lines shown before the first difference */
#define AFTER 2         /* lines of each side shown after it */
#define WIDTH 160       /* columns shown of a long line */
#define DOC_MAX (16u << 20)
#define MAX_REWRITTEN 64

static char rewritten[MAX_REWRITTEN][256];
static int nrewritten;
static int nrewritten_lost;    /* beyond MAX_REWRITTEN */
/* A failure message outlives the frees before fail_msg()'s longjmp. */
static char msg[8192];

static int
updating(void)
{
    return getenv("PH_GOLDEN_UPDATE") != NULL;
}

/* path as the developer sees it: relative to the source tree. */
static const char *
shown(const char *path)
{
    size_t n = strlen(PH_SOURCE_DIR);

    if (strncmp(path, PH_SOURCE_DIR, n) == 0 && path[n] == '/') {
        return path + n + 1;
    }
    return path;
}

/* Returns new: the file's text, or NULL if it cannot be read. */
static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *s;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    s = ph_malloc((size_t)n + 1);
    assert_non_null(s);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) {
        ph_free(s);
        fclose(f);
        return NULL;
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    size_t n = strlen(text);

    if (f == NULL) {
        fail_msg("cannot write %s", path);
    }
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    if (nrewritten < MAX_REWRITTEN) {
        snprintf(rewritten[nrewritten++], sizeof(rewritten[0]), "%s",
                 shown(path));
    } else {
        nrewritten_lost++;
    }
}

static void
append(size_t *at, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*at >= sizeof(msg)) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(msg + *at, sizeof(msg) - *at, fmt, ap);
    va_end(ap);
    if (n > 0) {
        *at += (size_t)n;
    }
}

/* Length of the line at s, without its newline. */
static size_t
line_len(const char *s)
{
    const char *nl = strchr(s, '\n');

    return nl != NULL ? (size_t)(nl - s) : strlen(s);
}

/* The line after the one at s, or NULL at the end of the text. */
static const char *
next_line(const char *s)
{
    const char *nl = strchr(s, '\n');

    return nl != NULL && nl[1] != '\0' ? nl + 1 : NULL;
}

/* Shows at most WIDTH columns of a line, from column from. */
static void
show_line(size_t *at, char mark, int lineno, const char *s, size_t col)
{
    size_t n = line_len(s);
    size_t from = col > WIDTH / 2 ? col - WIDTH / 2 : 0;
    size_t len;

    if (from > n) {
        from = n;
    }
    len = n - from < WIDTH ? n - from : WIDTH;
    append(at, "%c%5d  %s%.*s%s\n", mark, lineno, from > 0 ? "..." : "",
           (int)len, s + from, from + len < n ? "..." : "");
}

/*
 * Fills msg with where want and got first differ: up to CONTEXT equal
 * lines, then the next lines of each side (- want, + got).
 */
static void
describe(const char *path, const char *want, const char *got)
{
    const char *ctx[CONTEXT];
    const char *w = want, *g = got;
    size_t at = 0, col = 0;
    int line = 1;

    memset(ctx, 0, sizeof(ctx));
    while (w != NULL && g != NULL && line_len(w) == line_len(g) &&
           memcmp(w, g, line_len(w)) == 0 &&
           (next_line(w) == NULL) == (next_line(g) == NULL)) {
        memmove(ctx, ctx + 1, sizeof(ctx) - sizeof(ctx[0]));
        ctx[CONTEXT - 1] = w;
        w = next_line(w);
        g = next_line(g);
        line++;
    }
    if (w != NULL && g != NULL) {
        while (w[col] == g[col] && w[col] != '\n' && w[col] != '\0') {
            col++;
        }
    }
    append(&at,
           "%s differs from the output at line %d "
           "(- golden file, + output):\n",
           shown(path), line);
    for (int k = 0; k < CONTEXT; k++) {
        if (ctx[k] != NULL) {
            show_line(&at, ' ', line - CONTEXT + k, ctx[k], col);
        }
    }
    for (int k = 0; k <= AFTER && w != NULL; k++, w = next_line(w)) {
        show_line(&at, '-', line + k, w, col);
    }
    for (int k = 0; k <= AFTER && g != NULL; k++, g = next_line(g)) {
        show_line(&at, '+', line + k, g, col);
    }
    append(&at, "If the change is intended: cmake --build build --target "
                "golden-update, then review git diff.\n");
}

/*
 * Compares want (the file's text, NULL if missing) with got; in an update
 * run rewrites the file instead. Returns 0 when they are equal or the
 * file was rewritten; otherwise fills msg and returns -1.
 */
static int
compare(const char *path, const char *want, const char *got)
{
    if (want != NULL && strcmp(want, got) == 0) {
        return 0;
    }
    if (updating()) {
        write_file(path, got);
        return 0;
    }
    if (want == NULL) {
        snprintf(msg, sizeof(msg), "missing golden file %s (cmake --build "
                 "build --target golden-update)", shown(path));
    } else {
        describe(path, want, got);
    }
    return -1;
}

void
golden_text(const char *path, const char *got)
{
    char *want = slurp(path);
    int rc = compare(path, want, got);

    ph_free(want);
    if (rc != 0) {
        fail_msg("%s", msg);
    }
}

/* Returns new: text parsed and dumped with flags, or NULL (msg says why)
 * if it is not JSON. */
static char *
redump(const char *what, const char *text, unsigned flags)
{
    struct ph_json_err err;
    ph_json *root = ph_json_parse(text, strlen(text), 0, &err);
    char *out = NULL;
    size_t n;

    if (root == NULL) {
        snprintf(msg, sizeof(msg), "%s is not JSON: %d:%d: %s", what,
                 err.line, err.column, err.text);
        return NULL;
    }
    assert_int_equal(ph_json_dump(root, flags, DOC_MAX, &out, &n), 0);
    return out;
}

void
golden_json(const char *path, const char *got)
{
    char *file = slurp(path);
    char *want = NULL, *pretty = NULL, *compact = NULL;
    int rc = -1;

    pretty = redump("the output", got, PH_JSON_PRETTY | PH_JSON_LF);
    if (pretty == NULL) {
        goto out;
    }
    if (file != NULL) {
        want = redump(shown(path), file, PH_JSON_PRETTY | PH_JSON_LF);
        if (want == NULL && !updating()) {
            goto out;
        }
    }
    if (updating() && file != NULL && strcmp(file, pretty) != 0) {
        /* Also rewrite a file that only differs in layout. */
        ph_free(want);
        want = NULL;
    }
    if (compare(path, want, pretty) != 0) {
        goto out;
    }
    /* The bytes served: exactly the compact form of the golden tree. */
    compact = redump("the golden text", pretty, PH_JSON_LF);
    if (compact == NULL) {
        goto out;
    }
    if (strcmp(compact, got) != 0) {
        snprintf(msg, sizeof(msg), "%s: the output is not the compact form "
                 "of its JSON (whitespace, number or escape format):\n"
                 "want: %.300s\n got: %.300s", shown(path), compact, got);
        goto out;
    }
    rc = 0;
out:
    ph_free(file);
    ph_free(want);
    ph_free(pretty);
    ph_free(compact);
    if (rc != 0) {
        fail_msg("%s", msg);
    }
}

int
golden_finish(int failed)
{
    if (!updating()) {
        return failed;
    }
    if (nrewritten == 0) {
        printf("PH_GOLDEN_UPDATE: no golden file changed.\n");
    } else {
        printf("PH_GOLDEN_UPDATE: rewrote %d golden file(s):\n",
               nrewritten + nrewritten_lost);
        for (int i = 0; i < nrewritten; i++) {
            printf("  %s\n", rewritten[i]);
        }
        if (nrewritten_lost > 0) {
            printf("  ... and %d more\n", nrewritten_lost);
        }
        printf("Review them with git diff before committing.\n");
    }
    printf("This run fails on purpose: PH_GOLDEN_UPDATE must not stay "
           "set (exit %d).\n", failed > 0 ? 1 : GOLDEN_UPDATE_EXIT);
    fflush(stdout);
    return failed > 0 ? 1 : GOLDEN_UPDATE_EXIT;
}
