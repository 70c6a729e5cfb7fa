#include "publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "complain.h"
#include "hash.h"
#include "idmap.h"
#include "log.h"
#include "mkdirs.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

struct publish {
    char *dir;
    /* Each document allocated on its own: its path is a key of index,
     * and publish_get()'s pointer stays valid as documents are added. */
    struct publish_doc **docs;
    size_t ndocs, cap;
    struct idmap index; /* path -> position in docs */
    uint64_t gen;             /* the last generation given to a document */
    /* One deflate state kept from document to document (deflateReset):
     * a fresh deflateInit2 allocates and clears about 270 KB each time,
     * and a full render gzips some 70 documents. */
    z_stream zs;
    int zs_ready;
    /* Writes into dir failing (a full disk): logged once in a while; the
     * documents stay dirty, so the next flush retries them, and they are
     * served from memory meanwhile. */
    struct complain write_complaint;
};

struct publish *
publish_new(const char *dir)
{
    struct publish *p = ph_calloc(1, sizeof(*p));

    if (p == NULL) {
        return NULL;
    }
    p->dir = dir != NULL ? ph_strdup(dir) : NULL;
    if (dir != NULL && p->dir == NULL) {
        ph_free(p);
        return NULL;
    }
    return p;
}

static void
doc_clear(struct publish_doc *d)
{
    ph_free(d->data);
    ph_free(d->gz);
    d->data = NULL;
    d->gz = NULL;
    d->len = 0;
    d->gzlen = 0;
}

void
publish_destroy(struct publish *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->ndocs; i++) {
        doc_clear(p->docs[i]);
        ph_free(p->docs[i]);
    }
    ph_free(p->docs);
    idmap_free(&p->index);
    if (p->zs_ready) {
        deflateEnd(&p->zs);
    }
    ph_free(p->dir);
    ph_free(p);
}

const char *
publish_content_type(const char *name)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".atom", "application/atom+xml; charset=utf-8"},
        {".rss", "application/rss+xml; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');

    if (dot != NULL) {
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
            if (strcmp(dot, types[i].ext) == 0) {
                return types[i].type;
            }
        }
    }
    return "application/octet-stream";
}

/* Gzips in with zs, set up on first use (*ready) and reset after. */
static int
gzip_data(z_stream *zs, int *ready, const uint8_t *in, size_t len,
          uint8_t **ret, size_t *ret_len)
{
    uLong bound;
    uint8_t *out;
    int rc;

    if (!*ready) {
        memset(zs, 0, sizeof(*zs));
        if (deflateInit2(zs, 6, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            return PH_ENOMEM;
        }
        *ready = 1;
    } else if (deflateReset(zs) != Z_OK) {
        return PH_EINTERNAL;
    }
    bound = deflateBound(zs, (uLong)len);
    out = ph_malloc(bound);
    if (out == NULL) {
        return PH_ENOMEM;
    }
    zs->next_in = (Bytef *)(uintptr_t)in;
    zs->avail_in = (uInt)len;
    zs->next_out = out;
    zs->avail_out = (uInt)bound;
    rc = deflate(zs, Z_FINISH);
    *ret_len = zs->total_out;
    if (rc != Z_STREAM_END) {
        ph_free(out);
        return PH_EINTERNAL;
    }
    *ret = out;
    return 0;
}

static struct publish_doc *
find_doc(const struct publish *p, const char *path)
{
    int i = idmap_get(&p->index, path);

    return i >= 0 ? p->docs[i] : NULL;
}

/* A new, empty document for path: NULL with *rc set at the cap or
 * without memory. */
static struct publish_doc *
add_doc(struct publish *p, const char *path, int *rc)
{
    struct publish_doc *d;

    if (p->ndocs >= PUBLISH_MAX_DOCS) {
        *rc = PH_ETOOBIG;
        return NULL;
    }
    *rc = PH_ENOMEM;
    if (p->ndocs == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct publish_doc **v;

        if (cap > PUBLISH_MAX_DOCS) {
            cap = PUBLISH_MAX_DOCS;
        }
        v = ph_realloc(p->docs, cap * sizeof(*v));
        if (v == NULL) {
            return NULL;
        }
        p->docs = v;
        p->cap = cap;
    }
    d = ph_calloc(1, sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    snprintf(d->path, sizeof(d->path), "%s", path);
    if (idmap_add(&p->index, d->path, (int)p->ndocs) != 0) {
        ph_free(d);
        return NULL;
    }
    p->docs[p->ndocs++] = d;
    return d;
}

/* Compresses text-like documents when it pays off: 0 with *ret NULL
 * when it does not. p: whose deflate state to use, or NULL for a fresh
 * one (another thread). */
static int
maybe_gzip(struct publish *p, const char *content_type, const uint8_t *data,
           size_t len, uint8_t **ret, size_t *ret_len)
{
    z_stream fresh;
    int fresh_ready = 0;
    int rc;

    *ret = NULL;
    *ret_len = 0;
    if (len <= 256 || strncmp(content_type, "image/png", 9) == 0) {
        return 0;
    }
    if (p != NULL) {
        rc = gzip_data(&p->zs, &p->zs_ready, data, len, ret, ret_len);
    } else {
        rc = gzip_data(&fresh, &fresh_ready, data, len, ret, ret_len);
        if (fresh_ready) {
            deflateEnd(&fresh);
        }
    }
    if (rc == 0 && *ret_len >= len) {
        ph_free(*ret);
        *ret = NULL;
        *ret_len = 0;
    }
    return rc;
}

/* Installs data (taken) and its gzip form gz (taken; NULL for none) as
 * path; unchanged content is a no-op. */
static int
install(struct publish *p, const char *path, const char *content_type,
        uint8_t *data, size_t len, uint8_t *gz, size_t gzlen, int have_gz,
        uint64_t hash)
{
    struct publish_doc *d;
    int result;

    if (len > PUBLISH_MAX_DOC_BYTES || strlen(path) >= PUBLISH_PATH_MAX ||
        strstr(path, "..") != NULL || path[0] == '/') {
        result = PH_ETOOBIG;
        goto out;
    }
    d = find_doc(p, path);
    if (d != NULL && d->len == len && memcmp(d->data, data, len) == 0) {
        result = 0;
        goto out;
    }
    if (d == NULL && (d = add_doc(p, path, &result)) == NULL) {
        goto out;
    }
    if (!have_gz) {
        /* A failed compression only costs the gzip form. */
        (void)maybe_gzip(p, content_type, data, len, &gz, &gzlen);
        hash = ph_fnv1a64(data, len);
    }
    doc_clear(d);
    d->content_type = content_type;
    d->data = data;
    d->len = len;
    d->gz = gz;
    d->gzlen = gzlen;
    snprintf(d->etag, sizeof(d->etag), "\"%016llx\"",
             (unsigned long long)hash);
    d->dirty = 1;
    d->gen = ++p->gen;
    return 0;
out:
    ph_free(data);
    ph_free(gz);
    return result;
}

int
publish_set_take(struct publish *p, const char *path,
                 const char *content_type, uint8_t *data, size_t len)
{
    return install(p, path, content_type, data, len, NULL, 0, 0, 0);
}

int
publish_prepare(struct publish_prepared *d)
{
    d->hash = ph_fnv1a64(d->data, d->len);
    return maybe_gzip(NULL, d->content_type, d->data, d->len, &d->gz,
                      &d->gzlen);
}

int
publish_set_prepared(struct publish *p, struct publish_prepared *d)
{
    uint8_t *data = d->data;
    uint8_t *gz = d->gz;

    d->data = NULL;
    d->gz = NULL;
    return install(p, d->path, d->content_type, data, d->len, gz, d->gzlen,
                   1, d->hash);
}

int
publish_set(struct publish *p, const char *path, const char *content_type,
            const void *data, size_t len)
{
    uint8_t *copy = ph_malloc(len + 1);

    if (copy == NULL) {
        return PH_ENOMEM;
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    return publish_set_take(p, path, content_type, copy, len);
}

static int
read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long size;
    int result;

    if (f == NULL) {
        return PH_EIO;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        result = PH_EIO;
        goto out;
    }
    if ((size_t)size > PUBLISH_MAX_DOC_BYTES) {
        result = PH_ETOOBIG;
        goto out;
    }
    data = ph_malloc((size_t)size + 1);
    if (data == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
        result = PH_EIO;
        goto out;
    }
    *ret = data;
    *ret_len = (size_t)size;
    data = NULL;
    result = 0;
out:
    ph_free(data);
    fclose(f);
    return result;
}

static int
load_dir(struct publish *p, const char *dir, const char *prefix, int depth,
         char *errbuf, size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int result = 0;

    if (d == NULL) {
        snprintf(errbuf, errlen, "cannot open web_dir %s: %s", dir,
                 strerror(errno));
        return PH_EIO;
    }
    while ((de = readdir(d)) != NULL && result == 0) {
        char full[1024];
        char rel[PUBLISH_PATH_MAX];
        struct stat st;

        if (de->d_name[0] == '.') {
            continue;
        }
        if (snprintf(full, sizeof(full), "%s/%s", dir, de->d_name) >=
                (int)sizeof(full) ||
            snprintf(rel, sizeof(rel), "%s%s", prefix, de->d_name) >=
                (int)sizeof(rel)) {
            continue; /* names that long are not page assets */
        }
        if (stat(full, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode) && depth < 2) {
            char sub[PUBLISH_PATH_MAX + 1];
            snprintf(sub, sizeof(sub), "%s/", rel);
            result = load_dir(p, full, sub, depth + 1, errbuf, errlen);
        } else if (S_ISREG(st.st_mode)) {
            uint8_t *data = NULL;
            size_t len = 0;

            result = read_file(full, &data, &len);
            if (result == 0) {
                result = publish_set_take(p, rel,
                                          publish_content_type(rel), data,
                                          len);
            }
            if (result == 0) {
                /* The page's own files: the same on every collector. */
                struct publish_doc *doc = find_doc(p, rel);

                if (doc != NULL) {
                    doc->gen = 0;
                }
            }
            if (result != 0) {
                snprintf(errbuf, errlen, "cannot load %s: %s", full,
                         ph_strerror(result));
            }
        }
    }
    closedir(d);
    return result;
}

int
publish_load_dir(struct publish *p, const char *web_dir, char *errbuf,
                 size_t errlen)
{
    return load_dir(p, web_dir, "", 0, errbuf, errlen);
}

int
publish_load_file(struct publish *p, const char *file, const char *rel,
                  size_t cap, char *errbuf, size_t errlen)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = read_file(file, &data, &len);

    if (rc == 0 && len > cap) {
        ph_free(data);
        rc = PH_ETOOBIG;
    }
    if (rc == 0) {
        rc = publish_set_take(p, rel, publish_content_type(rel), data, len);
    }
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot load %s: %s", file,
                 ph_strerror(rc));
    }
    return rc;
}

int
publish_write_file(const char *dir, const char *rel, const uint8_t *data,
                   size_t len)
{
    char path[1024];
    char tmp[1100];
    int fd = -1;
    size_t off = 0;
    int result;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    result = ph_mkdirs(path, strlen(dir), 0);
    if (result != 0) {
        return result;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return PH_EIO;
    }
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            result = PH_EIO;
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        result = PH_EIO;
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        result = PH_EIO;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        result = PH_EIO;
        goto out;
    }
    result = 0;
out:
    {
        int saved = errno; /* the caller reports the first failure's */

        if (fd >= 0) {
            close(fd);
        }
        if (result != 0) {
            unlink(tmp);
        }
        errno = saved;
    }
    return result;
}

int
publish_flush(struct publish *p)
{
    int first = 0;
    int any = 0;

    if (p->dir == NULL) {
        return 0; /* a private page: served from memory only */
    }
    if (mkdir(p->dir, 0755) != 0 && errno != EEXIST) {
        complain(&p->write_complaint, time_mono_ms(),
                 "publish: cannot create %s: %s", p->dir, strerror(errno));
        return PH_EIO;
    }
    for (size_t i = 0; i < p->ndocs; i++) {
        struct publish_doc *d = p->docs[i];
        int rc;

        if (!d->dirty) {
            continue;
        }
        rc = publish_write_file(p->dir, d->path, d->data, d->len);
        if (rc != 0) {
            if (first == 0) {
                complain(&p->write_complaint, time_mono_ms(),
                         "publish: cannot write %s/%s: %s (serving it from "
                         "memory, retrying)",
                         p->dir, d->path, strerror(errno));
                first = rc;
            }
            continue;
        }
        d->dirty = 0;
        any = 1;
    }
    if (first == 0) {
        complain_release(&p->write_complaint, "publish: writing %s again",
                         p->dir);
    }
    if (any) {
        publish_sync_dir(p->dir);
    }
    return first;
}

void
publish_sync_dir(const char *dir)
{
    /* Makes the renames themselves durable. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

int
publish_hand_dirty(struct publish *p, publish_walk_cb cb, void *arg)
{
    int first = 0;

    for (size_t i = 0; i < p->ndocs; i++) {
        struct publish_doc *d = p->docs[i];
        int rc;

        if (!d->dirty || d->data == NULL) {
            continue;
        }
        rc = cb(d, arg);
        if (rc == 0) {
            d->dirty = 0;
        } else if (first == 0) {
            first = rc;
        }
    }
    return first;
}

const struct publish_doc *
publish_get(const struct publish *p, const char *path)
{
    return find_doc(p, path);
}

uint64_t
publish_gen(const struct publish *p)
{
    return p->gen;
}

int
publish_walk(const struct publish *p, uint64_t after_gen,
             publish_walk_cb cb, void *arg)
{
    for (size_t i = 0; i < p->ndocs; i++) {
        int rc;

        if (p->docs[i]->gen <= after_gen || p->docs[i]->data == NULL) {
            continue;
        }
        rc = cb(p->docs[i], arg);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}
