/*
 * lease_node - one contender for the leader lease, for the integration
 * tests (built only with the tests). It runs lease.c on a libuv loop
 * and prints one line per change of role, with the wall clock, so a
 * test can lay the nodes' leadership intervals side by side:
 *
 *   lease_node CONNINFO NODE_ID LEASE_MS
 *   stdout: "ready <node>"                    once started
 *           "lead <node> <epoch> <wall_ms>"   became leader
 *           "follow <node> <epoch> <wall_ms>" stepped down
 *           "stopped <node> <wall_ms>"        after SIGTERM
 *
 * SIGTERM stops cleanly (the lease is handed back); kill -9 is what the
 * tests use to model a dead leader.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "lease.h"
#include "log.h"
#include "timefmt.h"

struct node {
    const char *id;
    struct lease *lease;
    uv_signal_t sigterm;
    uv_signal_t sigint;
};

static void
on_change(void *arg, int leader, uint64_t epoch)
{
    struct node *n = arg;

    printf("%s %s %llu %lld\n", leader ? "lead" : "follow", n->id,
           (unsigned long long)epoch, (long long)time_now_ms());
    fflush(stdout);
}

static void
on_signal(uv_signal_t *s, int signum)
{
    struct node *n = s->data;

    (void)signum;
    if (lease_is_leader(n->lease)) {
        /* lease_stop() steps down without the callback: say it here. */
        printf("follow %s %llu %lld\n", n->id,
               (unsigned long long)lease_epoch(n->lease),
               (long long)time_now_ms());
    }
    lease_stop(n->lease);
    n->lease = NULL;
    uv_close((uv_handle_t *)&n->sigterm, NULL);
    uv_close((uv_handle_t *)&n->sigint, NULL);
}

int
main(int argc, char **argv)
{
    struct node n = {0};
    uv_loop_t loop;
    int rc;

    if (argc != 4) {
        fprintf(stderr, "usage: lease_node CONNINFO NODE_ID LEASE_MS\n");
        return 2;
    }
    log_init("lease_node", getenv("PH_DEBUG") ? LOG_LVL_DEBUG
                                              : LOG_LVL_INFO);
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    n.id = argv[2];
    rc = lease_start(&loop, argv[1], argv[2],
                     (uint32_t)strtoul(argv[3], NULL, 10), on_change, &n,
                     &n.lease);
    if (rc != 0) {
        fprintf(stderr, "lease_node: lease_start failed (%d)\n", rc);
        uv_loop_close(&loop);
        return 1;
    }
    uv_signal_init(&loop, &n.sigterm);
    uv_signal_init(&loop, &n.sigint);
    n.sigterm.data = &n;
    n.sigint.data = &n;
    uv_signal_start(&n.sigterm, on_signal, SIGTERM);
    uv_signal_start(&n.sigint, on_signal, SIGINT);
    printf("ready %s\n", n.id);
    fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT);
    printf("stopped %s %lld\n", n.id, (long long)time_now_ms());
    fflush(stdout);
    rc = uv_loop_close(&loop);
    if (rc != 0) {
        fprintf(stderr, "lease_node: loop closed with live handles\n");
        return 1;
    }
    return 0;
}
