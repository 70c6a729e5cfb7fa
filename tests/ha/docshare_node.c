/*
 * docshare_node - one collector's document sharing (collector/ha/
 * docshare.c) without the rest of the collector, for the integration
 * tests (built only with the tests).
 *
 *   docshare_node CONNINFO PUBLISH_DIR leader EPOCH | follower
 *
 * stdin, one command a line:
 *   set PATH TEXT          publish TEXT as PATH (a leader then pushes)
 *   role leader EPOCH      become leader with EPOCH
 *   role follower          become follower
 * stdout, one line per event, with the wall clock in ms:
 *   ready
 *   doc PATH TEXT WALL_MS  a document changed (set here or pulled)
 *   stale SINCE_MS WALL_MS the database was lost
 *   fresh WALL_MS          in step again
 *
 * SIGTERM or the end of stdin stops it cleanly.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "docshare.h"
#include "log.h"
#include "publish.h"
#include "timefmt.h"

#define LINE_MAX_ 4096

struct node {
    struct publish *pub;
    struct docshare *ds;
    uv_pipe_t in;
    uv_timer_t watch;
    uv_signal_t sigterm;
    char line[LINE_MAX_];
    size_t len;
    uint64_t seen_gen;
    int64_t stale_since;
    int stopping;
};

static void
stop(struct node *n)
{
    if (n->stopping) {
        return;
    }
    n->stopping = 1;
    docshare_close(n->ds);
    n->ds = NULL;
    uv_close((uv_handle_t *)&n->in, NULL);
    uv_close((uv_handle_t *)&n->watch, NULL);
    uv_close((uv_handle_t *)&n->sigterm, NULL);
}

static int
print_doc(const struct publish_doc *d, void *arg)
{
    (void)arg;
    printf("doc %s %.*s %lld\n", d->path, (int)d->len, (const char *)d->data,
           (long long)time_now_ms());
    return 0;
}

static void
on_watch(uv_timer_t *t)
{
    struct node *n = t->data;
    struct docshare_status st;

    if (publish_gen(n->pub) > n->seen_gen) {
        publish_walk(n->pub, n->seen_gen, print_doc, NULL);
        n->seen_gen = publish_gen(n->pub);
    }
    docshare_status(n->ds, &st);
    if (st.stale_since_ms != n->stale_since) {
        if (st.stale_since_ms != 0) {
            printf("stale %lld %lld\n", (long long)st.stale_since_ms,
                   (long long)time_now_ms());
        } else {
            printf("fresh %lld\n", (long long)time_now_ms());
        }
        n->stale_since = st.stale_since_ms;
    }
    fflush(stdout);
}

static void
command(struct node *n, char *line)
{
    if (strncmp(line, "set ", 4) == 0) {
        char *path = line + 4;
        char *text = strchr(path, ' ');

        if (text == NULL) {
            return;
        }
        *text++ = '\0';
        if (publish_set(n->pub, path, publish_content_type(path), text,
                        strlen(text)) == 0) {
            docshare_published(n->ds);
        }
    } else if (strncmp(line, "role leader ", 12) == 0) {
        docshare_set_role(n->ds, 1, strtoull(line + 12, NULL, 10));
    } else if (strcmp(line, "role follower") == 0) {
        docshare_set_role(n->ds, 0, 0);
    }
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char chunk[LINE_MAX_];

    (void)h;
    (void)hint;
    buf->base = chunk;
    buf->len = sizeof(chunk);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct node *n = s->data;

    if (nread < 0) {
        stop(n);
        return;
    }
    for (ssize_t i = 0; i < nread; i++) {
        if (buf->base[i] == '\n') {
            n->line[n->len] = '\0';
            command(n, n->line);
            n->len = 0;
        } else if (n->len + 1 < sizeof(n->line)) {
            n->line[n->len++] = buf->base[i];
        }
    }
}

static void
on_signal(uv_signal_t *s, int signum)
{
    (void)signum;
    stop(s->data);
}

int
main(int argc, char **argv)
{
    struct node n;
    uv_loop_t loop;
    char err[256];
    int rc;

    if (argc < 4 || (strcmp(argv[3], "leader") == 0 && argc != 5)) {
        fprintf(stderr, "usage: docshare_node CONNINFO PUBLISH_DIR "
                        "leader EPOCH | follower\n");
        return 2;
    }
    memset(&n, 0, sizeof(n));
    log_init("docshare_node", getenv("PH_DEBUG") ? LOG_LVL_DEBUG
                                                 : LOG_LVL_INFO);
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    n.pub = publish_new(argv[2]);
    if (n.pub == NULL) {
        return 1;
    }
    rc = docshare_new(&loop, argv[1], n.pub, err, sizeof(err), &n.ds);
    if (rc != 0) {
        fprintf(stderr, "docshare_node: %s\n", err);
        return 1;
    }
    if (strcmp(argv[3], "leader") == 0) {
        docshare_set_role(n.ds, 1, strtoull(argv[4], NULL, 10));
    }
    uv_pipe_init(&loop, &n.in, 0);
    uv_pipe_open(&n.in, 0);
    n.in.data = &n;
    uv_read_start((uv_stream_t *)&n.in, on_alloc, on_read);
    uv_timer_init(&loop, &n.watch);
    n.watch.data = &n;
    uv_timer_start(&n.watch, on_watch, 20, 20);
    uv_signal_init(&loop, &n.sigterm);
    n.sigterm.data = &n;
    uv_signal_start(&n.sigterm, on_signal, SIGTERM);
    printf("ready\n");
    fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT);
    publish_destroy(n.pub);
    rc = uv_loop_close(&loop);
    if (rc != 0) {
        fprintf(stderr, "docshare_node: loop closed with live handles\n");
        return 1;
    }
    return 0;
}
