/* Whole-file reads and atomic writes; see files.h. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* sc_file_read with extra open flags. */
static int read_with(const char *path, int flags, size_t max, char **out, size_t *len,
                     util_err *err)
{
    struct stat st;
    size_t have = 0;
    char *buf;
    int fd;

    *out = NULL;
    if (len != NULL)
        *len = 0;
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | flags);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        if (errno == ELOOP && (flags & O_NOFOLLOW))
            return util_err_set(err, "%s: a symbolic link, refused", path);
        return util_err_set(err, "%s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        util_err_set(err, "%s: %s", path,
                     !S_ISREG(st.st_mode) ? "not a regular file" : "too large");
        close(fd);
        return -1;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return util_err_set(err, "%s: out of memory", path);
    }
    while (have < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    close(fd);
    if (have != (size_t)st.st_size) {
        free(buf);
        return util_err_set(err, "%s: short read", path);
    }
    buf[have] = '\0';
    *out = buf;
    if (len != NULL)
        *len = have;
    return 0;
}

int sc_file_read(const char *path, size_t max, char **out, size_t *len, util_err *err)
{
    return read_with(path, 0, max, out, len, err);
}

int sc_file_read_own(const char *path, size_t max, char **out, size_t *len, util_err *err)
{
    return read_with(path, O_NOFOLLOW, max, out, len, err);
}

int sc_file_read_secret(const char *path, char **out, util_err *err)
{
    size_t len = 0;
    int rc = sc_file_read(path, 4096, out, &len, err);

    if (rc == 1)
        return util_err_set(err, "%s: %s", path, strerror(ENOENT));
    if (rc != 0)
        return -1;
    while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
        (*out)[--len] = '\0';
    return 0;
}

void sc_secret_free(char *s)
{
    volatile char *p = s;

    if (s == NULL)
        return;
    while (*p != '\0')
        *p++ = '\0';
    free(s);
}

int sc_file_write(const char *path, const void *data, size_t len, mode_t mode, util_err *err)
{
    char tmp[4096];
    const char *p = data;
    int fd;

    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return util_err_set(err, "%s: path too long", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return util_err_set(err, "%s: %s", tmp, strerror(errno));
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            util_err_set(err, "%s: %s", tmp, strerror(errno));
            goto fail;
        }
        p += n;
        len -= (size_t)n;
    }
    /* The mode asked for, whatever the umask said. */
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        util_err_set(err, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        util_err_set(err, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        util_err_set(err, "%s: %s", path, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

int sc_file_copy(const char *src, const char *dst, mode_t mode, util_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = sc_file_read(src, (size_t)256 << 20, &buf, &len, err);

    if (rc == 1)
        return util_err_set(err, "%s: no such file", src);
    if (rc != 0)
        return -1;
    rc = sc_file_write(dst, buf, len, mode, err);
    free(buf);
    return rc;
}

int sc_mkdirs(const char *dir, util_err *err)
{
    char path[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof path)
        return util_err_set(err, "directory \"%.64s\": empty or too long", dir);
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return util_err_set(err, "%s: %s", path, strerror(errno));
        path[i] = i == n ? '\0' : '/';
    }
    return 0;
}
