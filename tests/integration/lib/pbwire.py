"""Agent messages of proto/pharos/v1/agent.proto encoded by hand, for
tests that send what a real agent would not (python3 stdlib only)."""


def varint(n):
    n &= (1 << 64) - 1          # int64 negatives go out as 10 bytes
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, n):
    return varint(num << 3) + varint(n)


def field_bytes(num, data):
    return varint((num << 3) | 2) + varint(len(data)) + data


def result(check_id, started_at_ms, outcome=1, error=b"", latency_ms=12):
    """Result: outcome 1 up, 2 slow, 3 down; error as raw bytes."""
    msg = (field_bytes(1, check_id.encode()) + field_varint(2, started_at_ms)
           + field_varint(3, outcome) + field_varint(4, latency_ms))
    if error:
        msg += field_bytes(8, error)
    return msg


def batch(seq, results, version=b"0.1.0"):
    msg = field_varint(1, seq)
    for r in results:
        msg += field_bytes(2, r)
    return msg + field_bytes(3, version)


