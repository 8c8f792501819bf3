/* Whole-file reads; see file.h. */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads fd to its end into a new buffer; more than max bytes is refused.
 * hint is the size fstat saw (files in /proc say 0 and still have text). */
static int read_all(int fd, const char *path, size_t max, size_t hint, char **out, size_t *len,
                    util_err *err)
{
    size_t cap = (hint < max ? hint : max) + 1, n = 0;
    char *buf = malloc(cap + 1);

    if (buf == NULL)
        return util_err_set(err, "%s: out of memory", path);
    for (;;) {
        ssize_t r;

        if (n == cap) {
            size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
            char *nb = ncap > cap ? realloc(buf, ncap + 1) : NULL;

            if (nb == NULL) {
                free(buf);
                return util_err_set(err, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;

            free(buf);
            util_err_set(err, "%s: %s", path, strerror(e));
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            free(buf);
            return util_err_set(err, "%s: too large (over %zu bytes)", path, max);
        }
    }
    buf[n] = '\0';
    *out = buf;
    if (len != NULL)
        *len = n;
    return 0;
}

int util_file_read(const char *path, size_t max, unsigned flags, char **out, size_t *len,
                   util_err *err)
{
    int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, fd, rc, e;
    struct stat st;

    *out = NULL;
    if (len != NULL)
        *len = 0;
    if (max >= SIZE_MAX - 1)
        max = SIZE_MAX - 2;
    if (!(flags & UTIL_FILE_FOLLOW))
        oflags |= O_NOFOLLOW;
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
    fd = open(path, oflags);
    if (fd < 0) {
        e = errno;
        if (e == ELOOP && !(flags & UTIL_FILE_FOLLOW))
            util_err_set(err, "%s: a symbolic link, refused", path);
        else
            util_err_set(err, "%s: %s", path, strerror(e));
        errno = e;
        return e == ENOENT ? 1 : -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return util_err_set(err, "%s: not a regular file", path);
    }
    if ((uintmax_t)st.st_size > max) {
        close(fd);
        return util_err_set(err, "%s: too large (over %zu bytes)", path, max);
    }
    rc = read_all(fd, path, max, (size_t)st.st_size, out, len, err);
    e = errno;
    close(fd);
    errno = e;
    return rc;
}
