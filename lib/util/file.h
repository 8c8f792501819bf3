/* Reading a whole small file (a configuration, a certificate, a token, a
 * password) into memory, once for every module. Only regular files are
 * read: a FIFO, device or directory is refused at once rather than read,
 * since reading one could block or never end, and a size bound keeps a
 * wrong path from filling memory. */
#ifndef BERTH_UTIL_FILE_H
#define BERTH_UTIL_FILE_H

#include <stddef.h>

#include "util/err.h"

/* Flags for util_file_read. */
enum {
    /* Follow a symbolic link at path. Without it a link is refused ("a
     * symbolic link, refused"): files in a volume someone else writes
     * should not lead elsewhere. Mounted ConfigMaps and Secrets are
     * links, so readers of those pass this. */
    UTIL_FILE_FOLLOW = 1,
};

/* Reads the whole file at path, at most max bytes. On success returns 0,
 * *out a new NUL-terminated buffer for free() and *len (len may be NULL)
 * its length without the NUL. A file that does not exist returns 1 with
 * *out NULL and err "PATH: No such file or directory" (callers for whom
 * that is no error ignore err). Any other failure returns -1 with err
 * "PATH: reason" ("not a regular file", "too large (over N bytes)", "a
 * symbolic link, refused", strerror's text) and errno kept from the
 * failing call where there was one. */
int util_file_read(const char *path, size_t max, unsigned flags, char **out, size_t *len,
                   util_err *err) UTIL_MUST_CHECK;

#endif
