/* Secret reads and atomic writes; see files.h. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

int sc_file_read_secret(const char *path, char **out, util_err *err)
{
    size_t len = 0;
    int rc = util_file_read(path, 4096, UTIL_FILE_FOLLOW, out, &len, err);

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
    int rc = util_file_read(src, (size_t)256 << 20, UTIL_FILE_FOLLOW, &buf, &len, err);

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
