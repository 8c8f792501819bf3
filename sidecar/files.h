/* Secrets the sidecar reads (password files) and the files the init step
 * writes; other whole-file reads are util_file_read (util/file.h). Everything
 * it writes lands under
 * its final name whole or not at all (written under a temporary name in
 * the same directory, synced, renamed), so a broker container never reads
 * half a configuration even if init is killed mid-way. */
#ifndef BERTH_SIDECAR_FILES_H
#define BERTH_SIDECAR_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

/* A small secret (a password) from a file: its contents without trailing
 * newlines, at most 4096 bytes. *out is a new string for sc_secret_free;
 * a missing file is an error like any other ("PATH: No such file or
 * directory"). */
int sc_file_read_secret(const char *path, char **out, util_err *err) UTIL_MUST_CHECK;

/* Wipes and frees a string from sc_file_read_secret. NULL is a no-op. */
void sc_secret_free(char *s);

/* Writes len bytes to path atomically with the given mode. */
int sc_file_write(const char *path, const void *data, size_t len, mode_t mode,
                  util_err *err) UTIL_MUST_CHECK;

/* Copies src to dst atomically with the given mode. */
int sc_file_copy(const char *src, const char *dst, mode_t mode, util_err *err) UTIL_MUST_CHECK;

/* Creates dir and its missing parents (mode 0755 before umask). */
int sc_mkdirs(const char *dir, util_err *err) UTIL_MUST_CHECK;

#endif
