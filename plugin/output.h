/* How kubectl-berth prints: a table with aligned columns for people, or
 * the document the table is made from, as JSON or YAML, for programs
 * (-o json|yaml), as kubectl does. */
#ifndef BERTH_PL_OUTPUT_H
#define BERTH_PL_OUTPUT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* A table being filled: rows of strings under upper-case headers. */
typedef struct pl_table pl_table;

/* A table with ncols columns named by headers (borrowed for the call).
 * NULL out of memory. */
pl_table *pl_table_new(int ncols, const char *const *headers);

/* Adds a row of ncols cells (copied; NULL prints as "-"). -1 out of memory. */
int pl_table_add(pl_table *t, const char *const *cells) UTIL_MUST_CHECK;

/* Prints the headers and rows, each column as wide as its widest cell,
 * three spaces apart. */
void pl_table_print(const pl_table *t, FILE *f);

/* NULL is a no-op. */
void pl_table_free(pl_table *t);

/* doc as indented JSON, or as YAML (yaml true): block style, strings quoted
 * where YAML would read them as something else. 0, or -1 with err. */
int pl_print_doc(const cJSON *doc, int yaml, FILE *f, util_err *err) UTIL_MUST_CHECK;

#endif
