/* Scratch directories for tests; see tmpdir.h. */
#define _XOPEN_SOURCE 700
#include "support/tmpdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
    fprintf(stderr, "tmpdir: %s %s: %s\n", what, path, strerror(errno));
    abort();
}

char *tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    char *dir;

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    dir = tmpdir_path(base, "berth-test-XXXXXX");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp", dir);
    return dir;
}

char *tmpdir_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(n);

    if (p == NULL)
        abort();
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void tmpdir_writef(const char *dir, const char *name, const char *fmt, ...)
{
    char *path = tmpdir_path(dir, name);
    va_list ap;
    FILE *f;

    for (char *s = strchr(path + strlen(dir) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            die("mkdir", path);
        *s = '/';
    }
    f = fopen(path, "w");
    if (f == NULL)
        die("fopen", path);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    if (fclose(f) != 0)
        die("fclose", path);
    free(path);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void tmpdir_remove(char *dir)
{
    if (dir == NULL)
        return;
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}
