/* Scratch directories for tests that need real files (kubeconfigs, keys,
 * service-account mounts): made fresh, filled by name, removed whole. */
#ifndef BERTH_TESTS_TMPDIR_H
#define BERTH_TESTS_TMPDIR_H

/* A new empty directory under $TMPDIR (or /tmp); free with tmpdir_remove.
 * Aborts the test program if it cannot be made. */
char *tmpdir_new(void);

/* "<dir>/<name>", a new string for free(). */
char *tmpdir_path(const char *dir, const char *name);

/* Writes <dir>/<name> (printf format), creating missing subdirectories.
 * Aborts the test program on failure: a test cannot go on without it. */
void tmpdir_writef(const char *dir, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Removes dir and everything below it, then frees the string. NULL is a
 * no-op. */
void tmpdir_remove(char *dir);

#endif
