/* Tables and documents (see output.h). */
#include "output.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "plugin.h"
#include "util/str.h"

struct pl_table {
    int ncols;
    char **headers;
    char **cells; /* nrows * ncols */
    size_t nrows, cap;
    size_t limit; /* SIZE_MAX: none */
    size_t more;  /* rows past the limit */
};

void pl_table_free(pl_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    for (int c = 0; c < t->ncols; c++)
        free(t->headers[c]);
    free(t->cells);
    free(t->headers);
    free(t);
}

pl_table *pl_table_new(int ncols, const char *const *headers)
{
    pl_table *t = calloc(1, sizeof *t);

    if (t == NULL || (t->headers = calloc((size_t)ncols, sizeof *t->headers)) == NULL) {
        free(t);
        return NULL;
    }
    t->ncols = ncols;
    t->limit = SIZE_MAX;
    for (int c = 0; c < ncols; c++) {
        if ((t->headers[c] = util_strdup(headers[c])) == NULL) {
            pl_table_free(t);
            return NULL;
        }
        for (char *p = t->headers[c]; *p != '\0'; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
    }
    return t;
}

int pl_table_add(pl_table *t, const char *const *cells)
{
    size_t base = t->nrows * (size_t)t->ncols;

    if (t->nrows == t->limit) {
        t->more++;
        return 0;
    }
    if (t->nrows == t->cap) {
        size_t cap = t->cap > 0 ? t->cap * 2 : 8;
        char **n = realloc(t->cells, cap * (size_t)t->ncols * sizeof *n);

        if (n == NULL)
            return -1;
        t->cells = n;
        t->cap = cap;
    }
    for (int c = 0; c < t->ncols; c++) {
        t->cells[base + (size_t)c] = util_strdup(cells[c] != NULL ? cells[c] : "-");
        if (t->cells[base + (size_t)c] == NULL) {
            while (c-- > 0)
                free(t->cells[base + (size_t)c]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

void pl_table_limit(pl_table *t, size_t rows)
{
    if (t != NULL)
        t->limit = rows;
}

static void print_row(const pl_table *t, char *const *row, const size_t *width, FILE *f)
{
    for (int c = 0; c < t->ncols; c++) {
        if (c == t->ncols - 1)
            fprintf(f, "%s\n", row[c]);
        else
            fprintf(f, "%-*s   ", (int)width[c], row[c]);
    }
}

void pl_table_print(const pl_table *t, FILE *f)
{
    size_t *width = calloc((size_t)t->ncols, sizeof *width);

    if (width == NULL)
        return;
    for (int c = 0; c < t->ncols; c++) {
        width[c] = strlen(t->headers[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t w = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);

            if (w > width[c])
                width[c] = w;
        }
    }
    print_row(t, t->headers, width, f);
    for (size_t r = 0; r < t->nrows; r++)
        print_row(t, t->cells + r * (size_t)t->ncols, width, f);
    free(width);
}

void pl_table_done(pl_table *t, bool ok, FILE *f)
{
    if (t != NULL && ok) {
        pl_table_print(t, f);
        if (t->more > 0)
            fprintf(f, "... and %zu more (-o wide or -o json lists them all)\n", t->more);
    } else
        fprintf(f, "(out of memory)\n");
    pl_table_free(t);
}

/* ---- cells ---- */

double pl_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const char *pl_num_text(const cJSON *o, const char *key, char *buf, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    snprintf(buf, size, cJSON_IsNumber(v) ? "%.0f" : "-", cJSON_IsNumber(v) ? v->valuedouble : 0);
    return buf;
}

const char *pl_joined(const cJSON *a, char *buf, size_t size)
{
    const cJSON *e;
    size_t n = 0;

    buf[0] = '\0';
    cJSON_ArrayForEach(e, a)
    {
        if (n < size)
            n += (size_t)(cJSON_IsNumber(e) ? snprintf(buf + n, size - n, "%s%.0f",
                                                       n > 0 ? "," : "", e->valuedouble)
                                            : snprintf(buf + n, size - n, "%s%s", n > 0 ? "," : "",
                                                       cJSON_IsString(e) ? e->valuestring : "?"));
    }
    return buf;
}

const char *pl_yes_no(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key)) ? "yes" : "no";
}

const char *pl_asked_how(const cJSON *asked, char *buf, size_t size)
{
    const char *via = pl_str(asked, "via"), *address = pl_str(asked, "address"),
               *listener = pl_str(asked, "listener");

    if (via != NULL && strcmp(via, "direct") == 0)
        snprintf(buf, size, "directly at %s, listener %s", address != NULL ? address : "-",
                 listener != NULL ? listener : "-");
    else
        snprintf(buf, size, "through a port-forward");
    return buf;
}

void pl_asked_add(cJSON *report, int32_t id, const char *pod, int port, const char *address,
                  const char *listener)
{
    cJSON *asked = cJSON_AddObjectToObject(report, "asked");

    cJSON_AddNumberToObject(asked, "id", id);
    cJSON_AddStringToObject(asked, "pod", pod);
    cJSON_AddNumberToObject(asked, "port", port);
    cJSON_AddStringToObject(asked, "via", address != NULL ? "direct" : "port-forward");
    if (address != NULL) {
        cJSON_AddStringToObject(asked, "address", address);
        cJSON_AddStringToObject(asked, "listener", listener);
    }
}

/* ---- YAML ---- */

static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
    return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int emit_scalar(yaml_emitter_t *e, const char *text, int plain)
{
    yaml_event_t ev;

    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), plain, 1,
                                 plain ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    return emit(e, &ev);
}

/* Whether a plain s would read as a boolean or null to a YAML 1.1 or 1.2
 * reader. */
static int yaml_word(const char *s)
{
    static const char *const words[] = {"true", "false", "yes",  "no", "on", "off",
                                        "y",    "n",     "null", "~",  NULL};

    for (const char *const *w = words; *w != NULL; w++)
        if (strcasecmp(s, *w) == 0)
            return 1;
    return 0;
}

/* One value: maps and sequences in block style; numbers, booleans and null
 * plain; strings as libyaml sees fit (quoted where a plain scalar would
 * read as another type, which it cannot know: strings that look like one
 * are quoted here). */
static int emit_value(yaml_emitter_t *e, const cJSON *v)
{
    yaml_event_t ev;
    const cJSON *m;
    char num[64];

    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int map = cJSON_IsObject(v);

        if (map)
            yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        else
            yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if (emit(e, &ev) != 0)
            return -1;
        cJSON_ArrayForEach(m, v)
        {
            if ((map && emit_scalar(e, m->string, 1) != 0) || emit_value(e, m) != 0)
                return -1;
        }
        if (map)
            yaml_mapping_end_event_initialize(&ev);
        else
            yaml_sequence_end_event_initialize(&ev);
        return emit(e, &ev);
    }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        char *end;
        int looks_other = *s == '\0' || (strtod(s, &end), *end == '\0') || yaml_word(s);

        return emit_scalar(e, s, !looks_other);
    }
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble == (double)(long long)v->valuedouble)
            snprintf(num, sizeof num, "%lld", (long long)v->valuedouble);
        else
            snprintf(num, sizeof num, "%.17g", v->valuedouble);
        return emit_scalar(e, num, 1);
    }
    if (cJSON_IsBool(v))
        return emit_scalar(e, cJSON_IsTrue(v) ? "true" : "false", 1);
    return emit_scalar(e, "null", 1);
}

static int write_file(void *data, unsigned char *buffer, size_t size)
{
    return fwrite(buffer, 1, size, data) == size;
}

static int print_yaml(const cJSON *doc, FILE *f, util_err *err)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    int rc = -1;

    if (!yaml_emitter_initialize(&e))
        return util_err_set(err, "YAML: out of memory");
    yaml_emitter_set_output(&e, write_file, f);
    yaml_emitter_set_unicode(&e, 1);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (emit(&e, &ev) == 0) {
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
        if (emit(&e, &ev) == 0 && emit_value(&e, doc) == 0) {
            yaml_document_end_event_initialize(&ev, 1);
            if (emit(&e, &ev) == 0) {
                yaml_stream_end_event_initialize(&ev);
                rc = emit(&e, &ev);
            }
        }
    }
    if (rc != 0)
        util_err_set(err, "YAML: %s", e.problem != NULL ? e.problem : "cannot write");
    yaml_emitter_delete(&e);
    return rc;
}

int pl_print_doc(const cJSON *doc, int yaml, FILE *f, util_err *err)
{
    char *text;

    if (yaml)
        return print_yaml(doc, f, err);
    text = cJSON_Print(doc);
    if (text == NULL)
        return util_err_set(err, "JSON: out of memory");
    fprintf(f, "%s\n", text);
    free(text);
    return 0;
}
