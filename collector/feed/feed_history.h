/*
 * feed_history.h - /history.atom (RFC 4287) and /history.rss (RSS 2.0):
 * published incidents and scheduled maintenance, newest first, each
 * entry carrying its updates as escaped HTML. Pure: no I/O, no clock
 * (now_ms is passed in); callers hand the bytes to publish.c or HTTP.
 *
 * Links and ids are built from conf->page.url (trailing '/' ignored):
 *   feed id      <url>/history            entry id  <url>/incidents/<id>
 *   alternate    <url>/                   link      <url>/incidents/<id>
 *   self         <url>/history.atom | <url>/history.rss
 * Without page.url, ids become tag URIs (tag:pharos.invalid,2024:<page>/
 * history and .../incidents/<id>), links become references relative to
 * the feed's own URL ("./", "incidents/<id>") and the self links are left
 * out; set page.url for feeds that every validator accepts.
 *
 * Text from users (names, update bodies) is made valid XML 1.0: control
 * characters other than tab, newline and carriage return are dropped and
 * each malformed UTF-8 sequence becomes U+FFFD.
 */
#ifndef PH_FEED_HISTORY_H
#define PH_FEED_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "incident.h"
#include "pharos_conf.h"

#define FEED_HISTORY_ENTRIES 50 /* entries per feed */

struct feed_history_input {
    const struct pharos_conf *conf;   /* borrows: page id, name, url */
    const struct incident *incidents; /* borrows; newest first (created) */
    size_t nincidents;
    int64_t now_ms;                   /* feed date when nothing is listed */
};

/*
 * Each renders one document: drafts are skipped, and the first
 * FEED_HISTORY_ENTRIES others of in->incidents (incidents and maintenance
 * together) are listed in the given order. Dates are the incidents' own,
 * so the bytes change only when an incident does (stable ETags); the
 * feed's date is the latest listed updated_ms, or now_ms when none.
 *
 * Returns 0 and a new NUL-terminated buffer in *ret (free with ph_free)
 * with its length in *ret_len, or PH_ENOMEM. Output is bounded: an
 * entry lists its updates newest first until about 64 KiB of HTML, then
 * says how many older ones are left out (PH_ETOOBIG is unreachable).
 */
int feed_history_atom(const struct feed_history_input *in, char **ret,
                      size_t *ret_len);
int feed_history_rss(const struct feed_history_input *in, char **ret,
                     size_t *ret_len);

#endif
