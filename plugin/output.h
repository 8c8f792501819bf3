/* How kubectl-berth prints: a table with aligned columns for people, or
 * the document the table is made from, as JSON or YAML, for programs
 * (-o json|yaml), as kubectl does. */
#ifndef BERTH_PL_OUTPUT_H
#define BERTH_PL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* A table being filled: rows of strings under upper-case headers. */
typedef struct pl_table pl_table;

/* Rows a long table shows unless -o wide; -o json|yaml list them all. */
#define PL_TABLE_ROWS 20

/* A table with ncols columns named by headers (borrowed for the call).
 * NULL out of memory. */
pl_table *pl_table_new(int ncols, const char *const *headers);

/* Adds a row of ncols cells (copied; NULL prints as "-"). -1 out of memory.
 * Past the limit the row is only counted. */
int pl_table_add(pl_table *t, const char *const *cells) UTIL_MUST_CHECK;

/* Keeps the first rows rows; pl_table_done then says how many more there
 * were. Without it a table keeps every row. */
void pl_table_limit(pl_table *t, size_t rows);

/* Prints the headers and rows, each column as wide as its widest cell,
 * three spaces apart. */
void pl_table_print(const pl_table *t, FILE *f);

/* NULL is a no-op. */
void pl_table_free(pl_table *t);

/* Prints t when it was filled (ok: every row added), and the count of rows
 * past its limit, else says it could not be made; then frees it. */
void pl_table_done(pl_table *t, bool ok, FILE *f);

/* Cells read from a report (a -o json document), so that a table says
 * nothing the document does not: o's number key (0 when not a number);
 * the same as text into buf ("-" when not a number); the elements of
 * array a joined by commas ("2,1,0") into buf; o's boolean key as "yes" or
 * "no". Returned strings are buf or static. */
double pl_num(const cJSON *o, const char *key);
const char *pl_num_text(const cJSON *o, const char *key, char *buf, size_t size);
const char *pl_joined(const cJSON *a, char *buf, size_t size);
const char *pl_yes_no(const cJSON *o, const char *key);

/* How a report's asked ({via, address, listener}) says the broker was
 * reached, for health's and drain-plan's tables: "through a port-forward",
 * or "directly at host:port, listener external". Returns buf. */
const char *pl_asked_how(const cJSON *asked, char *buf, size_t size);

/* Adds to report the object "asked" that pl_asked_how reads: the broker's
 * id, pod and port, and via "port-forward", or "direct" with the address
 * dialled and its listener (address NULL: a port-forward). */
void pl_asked_add(cJSON *report, int32_t id, const char *pod, int port, const char *address,
                  const char *listener);

/* doc as indented JSON, or as YAML (yaml true): block style, strings quoted
 * where YAML would read them as something else. 0, or -1 with err. */
int pl_print_doc(const cJSON *doc, int yaml, FILE *f, util_err *err) UTIL_MUST_CHECK;

#endif
