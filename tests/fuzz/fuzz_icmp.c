/*
 * fuzz_icmp.c - libFuzzer target for the ICMP echo reply parser of
 * checks/icmp.c (what comes off a raw or datagram ICMP socket is
 * untrusted). The parser is static in the probe part of the type's file,
 * so this target includes that file with the probe part chosen
 * (PH_CHECK_PROBE), as curl's unit tests reach static code; its ops are
 * renamed so they cannot clash with the agent library's.
 *
 * The first input byte picks the socket the bytes came from: bit 0 IPv6,
 * bit 1 a raw IPv4 socket (an IP header first), bit 2 match the
 * identifier; the rest is the datagram.
 */
#define PH_CHECK_PROBE
#define probe_icmp_ops fuzz_probe_icmp_ops_unused
#include "../../checks/icmp.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t pkt[ICMP_PKT_MAX];
    int v6, iphdr, seq;

    if (size < 1) {
        return 0;
    }
    v6 = data[0] & 1;
    iphdr = !v6 && (data[0] & 2);
    seq = icmp_parse_reply(data + 1, size - 1, v6, iphdr, data[0] & 4,
                           0x1234);
    if (seq < -1 || seq > 0xffff) {
        __builtin_trap();
    }
    /* A request we build is never taken for a reply. */
    if (size - 1 <= CHECK_ICMP_MAX_SIZE) {
        size_t n = icmp_build_echo(pkt, size - 1, v6, 0x1234, 7);
        if (icmp_parse_reply(pkt, n, v6, 0, 1, 0x1234) != -1) {
            __builtin_trap();
        }
        /* ... and an IPv4 one checks out (RFC 1071: sums to zero). */
        if (!v6 && inet_csum(pkt, n) != 0) {
            __builtin_trap();
        }
    }
    return 0;
}
