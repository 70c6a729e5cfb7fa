/*
 * mkdirs.h - mkdir -p: the state directory at start, the directories of
 * the documents written into publish_dir.
 */
#ifndef PH_MKDIRS_H
#define PH_MKDIRS_H

#include <stddef.h>

/* Creates the directories of path (mode 0755; those that exist are left
 * as they are): each parent whose name ends past path's first skip
 * bytes (the ones before are known to exist), and path itself when
 * itself is set. Returns 0, PH_ETOOBIG (path over 1023 bytes) or PH_EIO
 * (errno set). */
int ph_mkdirs(const char *path, size_t skip, int itself);

#endif
