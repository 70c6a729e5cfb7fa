/*
 * conf_yaml.c - YAML (libyaml event API) -> struct conf_node tree with
 * 1-based line and column of every node. The only includer of yaml.h.
 *
 * Anchors and aliases are refused (they would let a small file expand
 * into a huge tree); depth, scalar size, node count and file size are
 * capped. Any input either parses or yields a file:line:col error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "conf.h"
#include "mem.h"
#include "ph_err.h"

/* Room for 100,000 checks (about 7 nodes and 60 bytes each) and more. */
#define YAML_MAX_FILE (64u * 1024 * 1024)
#define YAML_MAX_DEPTH 32
#define YAML_MAX_SCALAR (64u * 1024)
#define YAML_MAX_NODES 2000000

void
conf_err(struct conf_errs *errs, const char *file, int line, int col,
         const char *fmt, ...)
{
    char *dst;
    va_list ap;
    int n;

    if (errs == NULL) {
        return;
    }
    if (errs->n >= CONF_ERRS_MAX) {
        errs->dropped++;
        return;
    }
    dst = errs->msgs[errs->n];
    n = snprintf(dst, CONF_ERR_MSG_MAX, "%s:%d:%d: ", file, line, col);
    if (n > 0 && n < CONF_ERR_MSG_MAX) {
        va_start(ap, fmt);
        vsnprintf(dst + n, CONF_ERR_MSG_MAX - (size_t)n, fmt, ap);
        va_end(ap);
    }
    errs->n++;
}

void
conf_node_free(struct conf_node *n)
{
    while (n != NULL) {
        struct conf_node *next = n->next;
        conf_node_free(n->child);
        ph_free(n->key);
        ph_free(n->value);
        ph_free(n);
        n = next;
    }
}

struct builder {
    yaml_parser_t parser;
    const char *name;
    struct conf_errs *errs;
    size_t nodes;
    int failed;
};

static struct conf_node *
new_node(struct builder *b, enum conf_node_type type, const yaml_mark_t *m)
{
    struct conf_node *n;

    if (++b->nodes > YAML_MAX_NODES) {
        conf_err(b->errs, b->name, (int)m->line + 1, (int)m->column + 1,
                 "too many nodes (limit %u)", YAML_MAX_NODES);
        b->failed = 1;
        return NULL;
    }
    n = ph_calloc(1, sizeof(*n));
    if (n == NULL) {
        b->failed = 1;
        return NULL;
    }
    n->type = type;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    return n;
}

static int
next_event(struct builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev)) {
        const yaml_mark_t *m = &b->parser.problem_mark;
        conf_err(b->errs, b->name, (int)m->line + 1, (int)m->column + 1,
                 "YAML syntax error: %s%s%s",
                 b->parser.problem ? b->parser.problem : "invalid",
                 b->parser.context ? " " : "",
                 b->parser.context ? b->parser.context : "");
        b->failed = 1;
        return -1;
    }
    return 0;
}

static struct conf_node *parse_node(struct builder *b, yaml_event_t *ev,
                                    int depth);

/* Parses the children of a mapping or sequence whose start event was
 * consumed; appends them to parent. */
static int
parse_children(struct builder *b, struct conf_node *parent, int depth)
{
    struct conf_node **tail = &parent->child;
    yaml_event_t ev;

    for (;;) {
        struct conf_node *child;
        char *key = NULL;
        int key_line = 0, key_col = 0;

        if (next_event(b, &ev) != 0) {
            return -1;
        }
        if (ev.type == YAML_MAPPING_END_EVENT ||
            ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (parent->type == CONF_MAP) {
            if (ev.type != YAML_SCALAR_EVENT) {
                conf_err(b->errs, b->name, (int)ev.start_mark.line + 1,
                         (int)ev.start_mark.column + 1,
                         "mapping keys must be plain scalars");
                yaml_event_delete(&ev);
                b->failed = 1;
                return -1;
            }
            key = ph_strndup((const char *)ev.data.scalar.value,
                             ev.data.scalar.length);
            key_line = (int)ev.start_mark.line + 1;
            key_col = (int)ev.start_mark.column + 1;
            yaml_event_delete(&ev);
            if (key == NULL) {
                b->failed = 1;
                return -1;
            }
            for (struct conf_node *o = parent->child; o != NULL; o = o->next) {
                if (strcmp(o->key, key) == 0) {
                    conf_err(b->errs, b->name, key_line, key_col,
                             "duplicate key '%s' (first at line %d)", key,
                             o->key_line);
                    break;
                }
            }
            if (next_event(b, &ev) != 0) {
                ph_free(key);
                return -1;
            }
        }
        child = parse_node(b, &ev, depth + 1);
        if (child == NULL) {
            ph_free(key);
            return -1;
        }
        child->key = key;
        child->key_line = key_line;
        child->key_col = key_col;
        *tail = child;
        tail = &child->next;
    }
}

/* Takes ownership of ev (deletes it). */
static struct conf_node *
parse_node(struct builder *b, yaml_event_t *ev, int depth)
{
    struct conf_node *n = NULL;
    yaml_mark_t m = ev->start_mark;

    if (depth > YAML_MAX_DEPTH) {
        conf_err(b->errs, b->name, (int)m.line + 1, (int)m.column + 1,
                 "nesting deeper than %d levels", YAML_MAX_DEPTH);
        b->failed = 1;
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor != NULL) {
            goto anchor;
        }
        if (ev->data.scalar.length > YAML_MAX_SCALAR) {
            conf_err(b->errs, b->name, (int)m.line + 1, (int)m.column + 1,
                     "value longer than %u bytes", YAML_MAX_SCALAR);
            b->failed = 1;
            break;
        }
        n = new_node(b, CONF_SCALAR, &m);
        if (n != NULL) {
            n->value = ph_strndup((const char *)ev->data.scalar.value,
                                  ev->data.scalar.length);
            if (n->value == NULL) {
                b->failed = 1;
                ph_free(n);
                n = NULL;
            }
        }
        break;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if ((ev->type == YAML_MAPPING_START_EVENT &&
             ev->data.mapping_start.anchor != NULL) ||
            (ev->type == YAML_SEQUENCE_START_EVENT &&
             ev->data.sequence_start.anchor != NULL)) {
            goto anchor;
        }
        n = new_node(b, ev->type == YAML_MAPPING_START_EVENT ? CONF_MAP
                                                            : CONF_SEQ,
                     &m);
        yaml_event_delete(ev);
        if (n != NULL && parse_children(b, n, depth) != 0) {
            conf_node_free(n);
            n = NULL;
        }
        return n;
    case YAML_ALIAS_EVENT:
        goto anchor;
    default:
        conf_err(b->errs, b->name, (int)m.line + 1, (int)m.column + 1,
                 "unexpected YAML event");
        b->failed = 1;
        break;
    }
    yaml_event_delete(ev);
    return n;
anchor:
    conf_err(b->errs, b->name, (int)m.line + 1, (int)m.column + 1,
             "YAML anchors and aliases are not supported");
    b->failed = 1;
    yaml_event_delete(ev);
    return NULL;
}

struct conf_node *
conf_yaml_parse(const char *name, const char *text, size_t len,
                struct conf_errs *errs)
{
    struct builder b;
    struct conf_node *root = NULL;
    yaml_event_t ev;
    int done = 0;

    memset(&b, 0, sizeof(b));
    b.name = name;
    b.errs = errs;
    if (len > YAML_MAX_FILE) {
        conf_err(errs, name, 1, 1, "file larger than %u bytes",
                 YAML_MAX_FILE);
        return NULL;
    }
    if (!yaml_parser_initialize(&b.parser)) {
        return NULL;
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
    while (!done && !b.failed) {
        if (next_event(&b, &ev) != 0) {
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
            yaml_event_delete(&ev);
            break;
        case YAML_DOCUMENT_END_EVENT:
            yaml_event_delete(&ev);
            break;
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&ev);
            done = 1;
            break;
        default:
            if (root != NULL) {
                conf_err(errs, name, (int)ev.start_mark.line + 1,
                         (int)ev.start_mark.column + 1,
                         "only one YAML document is allowed");
                yaml_event_delete(&ev);
                b.failed = 1;
                break;
            }
            root = parse_node(&b, &ev, 0);
            break;
        }
    }
    yaml_parser_delete(&b.parser);
    if (b.failed) {
        conf_node_free(root);
        return NULL;
    }
    if (root == NULL) {
        conf_err(errs, name, 1, 1, "empty configuration");
    }
    return root;
}

struct conf_node *
conf_yaml_load(const char *file, struct conf_errs *errs)
{
    FILE *f = fopen(file, "rb");
    char *text = NULL;
    size_t len = 0;
    struct conf_node *root = NULL;

    if (f == NULL) {
        conf_err(errs, file, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    text = ph_malloc(YAML_MAX_FILE + 1);
    if (text == NULL) {
        fclose(f);
        return NULL;
    }
    len = fread(text, 1, YAML_MAX_FILE + 1, f);
    if (ferror(f)) {
        conf_err(errs, file, 0, 0, "read error: %s", strerror(errno));
    } else {
        root = conf_yaml_parse(file, text, len, errs);
    }
    fclose(f);
    ph_free(text);
    return root;
}
