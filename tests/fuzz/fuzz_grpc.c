/*
 * fuzz_grpc.c - libFuzzer target for the gRPC health reply parser and
 * the grpc-status/grpc-message header reader of
 * checks/grpc.c (a server's reply is untrusted). Both are static in the
 * probe part of the type's file, so this target includes that file with
 * the probe part chosen (PH_CHECK_PROBE); its ops are renamed so they
 * cannot clash with the agent library's.
 *
 * The input is a reply body; it is also fed, cut into lines, to the
 * header callback.
 */
#define PH_CHECK_PROBE
#define probe_grpc_ops fuzz_probe_grpc_ops_unused
#include "../../checks/grpc.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct grpc_run g;
    char why[96];
    uint8_t req[5 + 3 + CHECK_GRPC_SERVICE_MAX];
    char svc[CHECK_GRPC_SERVICE_MAX + 1];
    size_t start = 0;
    int st;

    st = grpc_parse_reply(data, size, why, sizeof(why));
    if (st < -1 || (st == -1 && why[0] == '\0')) {
        __builtin_trap();
    }
    memset(&g, 0, sizeof(g));
    g.grpc_status = -1;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            on_header((char *)(uintptr_t)(data + start), 1, i - start, &g);
            start = i + 1;
        }
    }
    if (memchr(g.grpc_message, '\0', sizeof(g.grpc_message)) == NULL ||
        g.grpc_status < -1 || g.grpc_status > 999) {
        __builtin_trap();
    }
    /* Our request round-trips: its service is where we put it. */
    if (size <= CHECK_GRPC_SERVICE_MAX && memchr(data, '\0', size) == NULL) {
        size_t n;

        memcpy(svc, data, size);
        svc[size] = '\0';
        n = grpc_build_request(req, svc);
        if (n != 5 + (size ? (size < 0x80 ? 2 : 3) + size : 0) ||
            (size > 0 && memcmp(req + n - size, data, size) != 0)) {
            __builtin_trap();
        }
    }
    return 0;
}
