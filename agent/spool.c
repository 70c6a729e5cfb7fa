/*
 * spool.c - see spool.h. Segment files are named seg-<first rid, 16 hex>;
 * a record is {magic, crc32(payload), rid, payload}.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "mem.h"
#include "ph_err.h"

#define REC_MAGIC 0x50485331u   /* "PHS1" */
#define STATE_MAGIC 0x50485354u /* "PHST" */
#define MAX_SEGMENTS 65536

struct rec {
    uint32_t magic;
    uint32_t crc;
    uint64_t rid;
    struct check_result r;
};

struct state {
    uint32_t magic;
    uint32_t version;
    uint64_t head;
    uint64_t next_seq;
    uint64_t inflight_seq;
    uint64_t inflight_first;
    uint32_t inflight_count;
    uint32_t crc;
};

struct seg {
    uint64_t first;   /* rid of its first record */
    uint64_t count;   /* records in it */
};

struct spool {
    char *dir;
    uint64_t max_bytes;
    uint32_t per_seg;
    struct seg *segs;  /* oldest first */
    size_t nsegs;
    size_t capsegs;
    int fd;            /* the last segment, open for append */
    uint64_t tail;
    uint64_t dropped;
    struct state st;
};

static void
seg_path(const struct spool *s, uint64_t first, char *out, size_t len)
{
    snprintf(out, len, "%s/seg-%016" PRIx64 ".dat", s->dir, first);
}

static uint32_t
crc_of(const void *p, size_t len)
{
    return (uint32_t)crc32(0L, p, (uInt)len);
}

static int
write_all(int fd, const void *p, size_t len)
{
    const char *c = p;

    while (len > 0) {
        ssize_t n = write(fd, c, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return PH_EIO;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

static int
save_state(struct spool *s)
{
    char path[1024], tmp[1100];
    int fd, rc;

    s->st.magic = STATE_MAGIC;
    s->st.version = 1;
    s->st.crc = 0;
    s->st.crc = crc_of(&s->st, sizeof(s->st));
    snprintf(path, sizeof(path), "%s/state", s->dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return PH_EIO;
    }
    rc = write_all(fd, &s->st, sizeof(s->st));
    if (rc == 0 && fsync(fd) != 0) {
        rc = PH_EIO;
    }
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = PH_EIO;
    }
    if (rc == 0) {
        int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return rc;
}

static int
load_state(struct spool *s)
{
    char path[1024];
    struct state st;
    uint32_t crc;
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/state", s->dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return PH_ENOENT;
    }
    n = read(fd, &st, sizeof(st));
    close(fd);
    if (n != (ssize_t)sizeof(st) || st.magic != STATE_MAGIC ||
        st.version != 1) {
        return PH_EPARSE;
    }
    crc = st.crc;
    st.crc = 0;
    if (crc_of(&st, sizeof(st)) != crc) {
        return PH_EPARSE;
    }
    st.crc = crc;
    s->st = st;
    return 0;
}

static int
cmp_seg(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;

    return x->first < y->first ? -1 : x->first > y->first;
}

static int
add_seg(struct spool *s, uint64_t first, uint64_t count)
{
    if (s->nsegs == s->capsegs) {
        size_t ncap = s->capsegs ? s->capsegs * 2 : 16;
        struct seg *n;
        if (ncap > MAX_SEGMENTS) {
            return PH_ETOOBIG;
        }
        n = ph_realloc(s->segs, ncap * sizeof(*n));
        if (n == NULL) {
            return PH_ENOMEM;
        }
        s->segs = n;
        s->capsegs = ncap;
    }
    s->segs[s->nsegs].first = first;
    s->segs[s->nsegs].count = count;
    s->nsegs++;
    return 0;
}

/* Counts the valid records of a segment, truncating a torn tail. */
static int
scan_seg(struct spool *s, struct seg *g)
{
    char path[1024];
    struct rec rec;
    uint64_t n = 0;
    int fd;

    seg_path(s, g->first, path, sizeof(path));
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return PH_EIO;
    }
    for (;;) {
        ssize_t r = pread(fd, &rec, sizeof(rec), (off_t)(n * sizeof(rec)));
        if (r != (ssize_t)sizeof(rec) || rec.magic != REC_MAGIC ||
            rec.rid != g->first + n ||
            crc_of(&rec.r, sizeof(rec.r)) != rec.crc) {
            break;
        }
        n++;
    }
    if (ftruncate(fd, (off_t)(n * sizeof(rec))) != 0) {
        close(fd);
        return PH_EIO;
    }
    close(fd);
    g->count = n;
    return 0;
}

static void
delete_seg(struct spool *s, size_t i)
{
    char path[1024];

    seg_path(s, s->segs[i].first, path, sizeof(path));
    unlink(path);
    memmove(&s->segs[i], &s->segs[i + 1],
            (s->nsegs - i - 1) * sizeof(*s->segs));
    s->nsegs--;
}

static int
open_last(struct spool *s)
{
    char path[1024];

    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (s->nsegs == 0 || s->segs[s->nsegs - 1].count >= s->per_seg) {
        int rc = add_seg(s, s->tail, 0);
        if (rc != 0) {
            return rc;
        }
    }
    seg_path(s, s->segs[s->nsegs - 1].first, path, sizeof(path));
    s->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    return s->fd < 0 ? PH_EIO : 0;
}

int
spool_open(const char *dir, uint64_t max_bytes, uint32_t per_seg,
           struct spool **ret, char *errbuf, size_t errlen)
{
    struct spool *s = ph_calloc(1, sizeof(*s));
    DIR *d = NULL;
    struct dirent *de;
    int rc;

    if (s == NULL) {
        return PH_ENOMEM;
    }
    s->fd = -1;
    s->max_bytes = max_bytes < SPOOL_MIN_BYTES ? SPOOL_MIN_BYTES : max_bytes;
    s->per_seg = per_seg ? per_seg : 4096;
    s->dir = ph_strdup(dir);
    if (s->dir == NULL) {
        rc = PH_ENOMEM;
        goto fail;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "cannot create %s: %s", dir,
                 strerror(errno));
        rc = PH_EIO;
        goto fail;
    }
    d = opendir(dir);
    if (d == NULL) {
        snprintf(errbuf, errlen, "cannot open %s: %s", dir, strerror(errno));
        rc = PH_EIO;
        goto fail;
    }
    while ((de = readdir(d)) != NULL) {
        uint64_t first;
        char tail;
        if (sscanf(de->d_name, "seg-%16" SCNx64 ".da%c", &first, &tail) ==
                2 &&
            tail == 't') {
            rc = add_seg(s, first, 0);
            if (rc != 0) {
                goto fail;
            }
        }
    }
    closedir(d);
    d = NULL;
    if (s->nsegs > 1) {
        qsort(s->segs, s->nsegs, sizeof(*s->segs), cmp_seg);
    }
    rc = load_state(s);
    if (rc == PH_EPARSE) {
        snprintf(errbuf, errlen, "%s/state is corrupt", dir);
        goto fail;
    }
    if (rc == PH_ENOENT) {
        memset(&s->st, 0, sizeof(s->st));
        s->st.head = s->nsegs > 0 ? s->segs[0].first : 0;
    }
    for (size_t i = 0; i < s->nsegs; i++) {
        rc = scan_seg(s, &s->segs[i]);
        if (rc != 0) {
            snprintf(errbuf, errlen, "cannot read spool segment in %s", dir);
            goto fail;
        }
    }
    /* A segment cut short breaks the chain: later ones are unusable. */
    for (size_t i = 0; i + 1 < s->nsegs; i++) {
        if (s->segs[i].first + s->segs[i].count != s->segs[i + 1].first) {
            while (s->nsegs > i + 1) {
                delete_seg(s, s->nsegs - 1);
            }
            break;
        }
    }
    while (s->nsegs > 0 &&
           s->segs[0].first + s->segs[0].count <= s->st.head &&
           s->nsegs > 1) {
        delete_seg(s, 0);
    }
    s->tail = s->nsegs > 0
                  ? s->segs[s->nsegs - 1].first + s->segs[s->nsegs - 1].count
                  : s->st.head;
    if (s->st.head > s->tail) {
        s->st.head = s->tail;
    }
    /* Segments dropped for room while the state could not be saved (a
     * full disk): start from the oldest one left. */
    if (s->nsegs > 0 && s->st.head < s->segs[0].first) {
        s->st.head = s->segs[0].first;
    }
    if (s->st.inflight_count > 0 &&
        (s->st.inflight_first < s->st.head ||
         s->st.inflight_first + s->st.inflight_count > s->tail)) {
        /* Its records are gone: nothing to resend. */
        s->st.inflight_seq = 0;
        s->st.inflight_first = 0;
        s->st.inflight_count = 0;
    }
    rc = open_last(s);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot open a spool segment in %s", dir);
        goto fail;
    }
    rc = save_state(s);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot write %s/state", dir);
        goto fail;
    }
    *ret = s;
    return 0;
fail:
    if (d != NULL) {
        closedir(d);
    }
    spool_close(s);
    return rc;
}

void
spool_close(struct spool *s)
{
    if (s == NULL) {
        return;
    }
    if (s->fd >= 0) {
        fsync(s->fd);
        close(s->fd);
    }
    ph_free(s->segs);
    ph_free(s->dir);
    ph_free(s);
}

static uint64_t
bytes_used(const struct spool *s)
{
    uint64_t n = 0;

    for (size_t i = 0; i < s->nsegs; i++) {
        n += s->segs[i].count;
    }
    return n * sizeof(struct rec);
}

static int
no_space(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

/*
 * The disk is full (or the file size limit reached) before the cap: frees
 * room by dropping the oldest segment, counted like a drop at the cap.
 * When only the segment being written is left, it can go only if every
 * record in it was acked; then the next record starts a new segment.
 * Returns 0 when something was freed, PH_EIO when nothing can be.
 */
static int
make_room(struct spool *s)
{
    uint64_t end;

    if (s->nsegs > 1) {
        end = s->segs[0].first + s->segs[0].count;
        if (end > s->st.head) {
            s->dropped += end - s->st.head;
            s->st.head = end;
        }
        if (s->st.inflight_count > 0 && s->st.inflight_first < s->st.head) {
            s->st.inflight_seq = 0;
            s->st.inflight_first = 0;
            s->st.inflight_count = 0;
        }
        delete_seg(s, 0);
        /* The state may not fit yet: a restart before it does finds
         * the segment gone and starts from the oldest one left. */
        (void)save_state(s);
        return 0;
    }
    if (s->nsegs == 1 && s->segs[0].count > 0 && s->st.head >= s->tail) {
        delete_seg(s, 0);
        return open_last(s);
    }
    return PH_EIO;
}

int
spool_append(struct spool *s, const struct check_result *r,
             uint64_t *ret_rid)
{
    struct rec rec;
    int rc;

    /* Drop the oldest segment while the cap would be exceeded (never the
     * one being written). */
    while (s->nsegs > 1 && bytes_used(s) + sizeof(rec) > s->max_bytes) {
        uint64_t end = s->segs[0].first + s->segs[0].count;
        if (end > s->st.head) {
            s->dropped += end - s->st.head;
            s->st.head = end;
        }
        if (s->st.inflight_count > 0 &&
            s->st.inflight_first < s->st.head) {
            /* Its records are gone: nothing to resend. */
            s->st.inflight_seq = 0;
            s->st.inflight_first = 0;
            s->st.inflight_count = 0;
        }
        delete_seg(s, 0);
        rc = save_state(s);
        if (rc != 0) {
            return rc;
        }
    }
    if (s->segs[s->nsegs - 1].count >= s->per_seg) {
        rc = open_last(s);
        if (rc != 0) {
            return rc;
        }
    }
    memset(&rec, 0, sizeof(rec));
    rec.magic = REC_MAGIC;
    rec.rid = s->tail;
    rec.r = *r;
    rec.crc = crc_of(&rec.r, sizeof(rec.r));
    for (;;) {
        rc = write_all(s->fd, &rec, sizeof(rec));
        if (rc == 0) {
            break;
        }
        /* Cut a torn record off: records are read by their offset, and
         * the next append goes at the end of the file. */
        if (ftruncate(s->fd, (off_t)(s->segs[s->nsegs - 1].count *
                                     sizeof(rec))) != 0 ||
            !no_space(errno) || make_room(s) != 0) {
            return rc;
        }
    }
    s->segs[s->nsegs - 1].count++;
    *ret_rid = s->tail++;
    return 0;
}

int
spool_sync(struct spool *s)
{
    return s->fd >= 0 && fdatasync(s->fd) != 0 ? PH_EIO : 0;
}

int
spool_read(struct spool *s, uint64_t from, struct check_result *out,
           size_t max, size_t *ret_n)
{
    size_t n = 0;

    *ret_n = 0;
    if (from < s->st.head) {
        return PH_EINVAL;
    }
    for (size_t i = 0; i < s->nsegs && n < max; i++) {
        const struct seg *g = &s->segs[i];
        char path[1024];
        int fd;

        if (from + n >= g->first + g->count) {
            continue;
        }
        seg_path(s, g->first, path, sizeof(path));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return PH_EIO;
        }
        while (n < max && from + n < g->first + g->count) {
            struct rec rec;
            uint64_t idx = from + n - g->first;
            if (pread(fd, &rec, sizeof(rec), (off_t)(idx * sizeof(rec))) !=
                    (ssize_t)sizeof(rec) ||
                rec.rid != from + n) {
                close(fd);
                return PH_EIO;
            }
            out[n++] = rec.r;
        }
        close(fd);
    }
    *ret_n = n;
    return 0;
}

uint64_t
spool_head(const struct spool *s)
{
    return s->st.head;
}

uint64_t
spool_tail(const struct spool *s)
{
    return s->tail;
}

uint64_t
spool_dropped(const struct spool *s)
{
    return s->dropped;
}

uint64_t
spool_next_seq(const struct spool *s)
{
    return s->st.next_seq;
}

void
spool_set_next_seq(struct spool *s, uint64_t seq)
{
    s->st.next_seq = seq;
}

int
spool_begin_batch(struct spool *s, uint64_t seq, uint64_t first_rid,
                  uint32_t count)
{
    s->st.inflight_seq = seq;
    s->st.inflight_first = first_rid;
    s->st.inflight_count = count;
    if (seq >= s->st.next_seq) {
        s->st.next_seq = seq + 1;
    }
    return save_state(s);
}

int
spool_inflight(const struct spool *s, uint64_t *ret_seq,
               uint64_t *ret_first_rid, uint32_t *ret_count)
{
    if (s->st.inflight_count == 0 && s->st.inflight_seq == 0) {
        return PH_ENOENT;
    }
    *ret_seq = s->st.inflight_seq;
    *ret_first_rid = s->st.inflight_first;
    *ret_count = s->st.inflight_count;
    return 0;
}

static int
finish_batch(struct spool *s)
{
    uint64_t end = s->st.inflight_first + s->st.inflight_count;

    if (end > s->st.head) {
        s->st.head = end;
    }
    s->st.inflight_seq = 0;
    s->st.inflight_first = 0;
    s->st.inflight_count = 0;
    while (s->nsegs > 1 &&
           s->segs[0].first + s->segs[0].count <= s->st.head) {
        delete_seg(s, 0);
    }
    return save_state(s);
}

int
spool_ack(struct spool *s, uint64_t seq)
{
    if (s->st.inflight_seq != seq) {
        return PH_ENOENT;
    }
    return finish_batch(s);
}

int
spool_discard_inflight(struct spool *s)
{
    return finish_batch(s);
}
