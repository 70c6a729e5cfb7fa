/*
 * publish.h - the public documents, in memory and in publish_dir.
 *
 * Every public document (feed JSON, feeds, badges, the page's assets) is
 * held in memory with its gzip form and ETag, served from there by the
 * HTTP server, and written into publish_dir with write-temp + fsync +
 * rename so nginx or a CDN can serve the same bytes with the collector
 * down. Loop thread only, but for publish_prepare() and
 * publish_write_file().
 */
#ifndef PH_PUBLISH_H
#define PH_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#define PUBLISH_PATH_MAX 128
/* A badge per component (CONF_COMPONENTS_MAX: 2000), the feeds and the
 * page's files, with room to spare. */
#define PUBLISH_MAX_DOCS 4096
/* uptime.json is the largest: about 14 KB a component (90 days), 28 MB
 * at CONF_COMPONENTS_MAX. */
#define PUBLISH_MAX_DOC_BYTES (64u * 1024 * 1024)

struct publish_doc {
    char path[PUBLISH_PATH_MAX];  /* "api/v2/summary.json" (no leading /) */
    const char *content_type;     /* static */
    uint8_t *data;
    size_t len;
    uint8_t *gz;                  /* NULL when gzip would not help */
    size_t gzlen;
    char etag[48];                /* quoted strong ETag */
    int dirty;                    /* changed since the last flush */
    uint64_t gen;                 /* generation of the last change; 0 for
                                   * the page's files from web_dir */
};

struct publish;

/* dir: publish_dir (created if missing), or NULL to keep the documents
 * in memory only (a private page); borrowed. Returns new or NULL. */
struct publish *publish_new(const char *dir);
void publish_destroy(struct publish *p);

/*
 * Sets path's content to a copy of data. Unchanged content is a no-op
 * (returns 0, doc not dirtied). Returns 0, PH_ETOOBIG, PH_ENOMEM.
 */
int publish_set(struct publish *p, const char *path, const char *content_type,
                const void *data, size_t len);
/* Same, taking ownership of data (allocated with ph_malloc). */
int publish_set_take(struct publish *p, const char *path,
                     const char *content_type, uint8_t *data, size_t len);

/*
 * A document made ready on another thread: publish_prepare() (any
 * thread) computes its gzip form and ETag hash; publish_set_prepared()
 * (loop) then only compares and swaps pointers. It takes data and gz
 * (ph_malloc'd) and NULLs them in d, whatever it returns (0, PH_ETOOBIG
 * or PH_ENOMEM as publish_set_take()).
 */
struct publish_prepared {
    char path[PUBLISH_PATH_MAX];
    const char *content_type;     /* static */
    uint8_t *data;
    size_t len;
    uint8_t *gz;                  /* set by publish_prepare(); may be NULL */
    size_t gzlen;
    uint64_t hash;
};
/* Returns 0 or PH_E* (then the document goes without a gzip form). */
int publish_prepare(struct publish_prepared *d);
int publish_set_prepared(struct publish *p, struct publish_prepared *d);

/* Loads every regular file of web_dir (one level, plus subfolders one
 * level deep) as documents. Returns 0 or PH_EIO with errbuf set. */
int publish_load_dir(struct publish *p, const char *web_dir, char *errbuf,
                     size_t errlen);

/* Loads one file as the document rel ("brand/logo.png"), refusing one
 * larger than cap bytes. Returns 0, PH_EIO, PH_ETOOBIG or PH_ENOMEM with
 * errbuf set. */
int publish_load_file(struct publish *p, const char *file, const char *rel,
                      size_t cap, char *errbuf, size_t errlen);

/* Writes dirty documents atomically into publish_dir. Returns 0 or the
 * first error (documents that failed stay dirty and are retried). */
int publish_flush(struct publish *p);

/* Writes data as dir/rel atomically (write-temp + fsync + rename; the
 * directories on the way are created). Any thread: touches nothing
 * shared. Returns 0, PH_EIO (errno set) or PH_ETOOBIG. */
int publish_write_file(const char *dir, const char *rel, const uint8_t *data,
                       size_t len);
/* fsync(2) of the directory dir, so the renames into it are durable. */
void publish_sync_dir(const char *dir);

/* Returns the document for path (no leading '/'), or NULL. Borrowed until
 * the next publish_set of that path. */
const struct publish_doc *publish_get(const struct publish *p,
                                      const char *path);

/* Generations: every change of a document made by publish_set* gets
 * the next number (files loaded from web_dir keep 0), so a reader such
 * as the HA document sharing (collector/ha/docshare.c) can take what
 * changed since it last looked. */
uint64_t publish_gen(const struct publish *p);
typedef int (*publish_walk_cb)(const struct publish_doc *d, void *arg);
/* Calls cb for each document with gen > after_gen; a non-zero return
 * stops the walk and is returned. */
int publish_walk(const struct publish *p, uint64_t after_gen,
                 publish_walk_cb cb, void *arg);

/* Hands each dirty document to cb (publish_writer.c copies it for its
 * thread); a document whose cb returns 0 is no longer dirty, one whose
 * cb fails stays dirty for the next call. Returns 0 or cb's first
 * error. */
int publish_hand_dirty(struct publish *p, publish_walk_cb cb, void *arg);

/* Content type for a file name by extension. */
const char *publish_content_type(const char *name);

#endif
