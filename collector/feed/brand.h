/*
 * brand.h - the page's brand files (page.logo, favicon, css) published
 * under brand/ next to the page, and the message catalogues checked for
 * missing keys.
 */
#ifndef PH_BRAND_H
#define PH_BRAND_H

#include <stddef.h>

#include "buf.h"
#include "pharos_conf.h"
#include "publish.h"

/* Largest brand file the collector publishes (the configuration caps
 * each kind lower; this guards a file grown since). */
#define BRAND_FILE_MAX (256 * 1024)

/* Publishes the brand files pg names (checked when the configuration
 * was loaded). Returns 0, or the first error with errbuf set; the other
 * files are still published. Borrows all. */
int brand_publish(struct publish *p, const struct conf_page *pg,
                  char *errbuf, size_t errlen);

/* Appends one line per language that lacks strings, "<where>: <code>
 * lacks <n> key(s): k1, k2, ...", for the page's catalogues in
 * web_dir/i18n/<code>.json (against en.json) and the emails'
 * (notify_msgs.h); a catalogue that is missing or not a JSON object of
 * strings is a line too. Returns the number of lines. */
size_t catalog_missing(const char *web_dir, struct buf *out);

#endif
