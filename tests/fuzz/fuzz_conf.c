/*
 * fuzz_conf.c - libFuzzer target for the YAML configuration parser and
 * the pharos.yml schema (conf_yaml.c, conf.c, pharos_conf.c): any input
 * must parse or give file:line:col errors, and a parsed config must print
 * and parse back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "pharos_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pharos_conf c, c2;
    struct conf_errs errs;
    struct buf out;

    memset(&errs, 0, sizeof(errs));
    if (pharos_conf_parse("/tmp/fuzz.yml", (const char *)data, size, &c,
                          &errs) != 0) {
        if (errs.n == 0 && errs.dropped == 0) {
            /* Every failure must say why (out of memory aside). */
            __builtin_trap();
        }
        return 0;
    }
    buf_init(&out, 1 << 24);
    if (pharos_conf_print(&c, &out) == 0) {
        memset(&errs, 0, sizeof(errs));
        if (pharos_conf_parse("/tmp/fuzz.yml", out.data, out.len, &c2,
                              &errs) != 0) {
            __builtin_trap();
        }
        pharos_conf_free(&c2);
    }
    buf_free(&out);
    pharos_conf_free(&c);
    return 0;
}
