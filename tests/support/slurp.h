/* A whole file read into memory, for tests that compare against golden
 * files or hand a PEM file to a library. */
#ifndef BERTH_TESTS_SLURP_H
#define BERTH_TESTS_SLURP_H

#include <stddef.h>

/* The bytes of path with a NUL after them, for free(); NULL when path
 * cannot be opened. *len (when len is not NULL) gets the size. Aborts the
 * test when the file opens but cannot be read whole. */
char *slurp_file(const char *path, size_t *len);

#endif
