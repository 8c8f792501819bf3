/* The drain client's reading of the sidecar's answer: an incremental
 * HTTP/1.1 response parser (status line, headers, then a body framed by
 * Content-Length, chunked encoding or the close of the connection) that
 * hands the body on line by line, and the verdict on those lines.
 *
 * Part of berth-drain, which links statically against libc alone, so this
 * uses nothing else and shares no code with berth's libraries; the wire
 * contract it reads is lib/http/drain_api.h. Every byte it is fed is treated
 * as hostile: it is fuzzed (tests/fuzz/fuzz_drain_response.c). Its names
 * carry the drain client's prefix, dc_. */
#ifndef BERTH_DRAIN_RESPONSE_H
#define BERTH_DRAIN_RESPONSE_H

#include <stddef.h>

#define DC_RESULT_PREFIX "result: "
#define DC_RESULT_OK     "result: ok"

#define DC_LINE_MAX   4096 /* body lines longer than this are handed on in pieces */
#define DC_HLINE_MAX  1024 /* longest status, header or chunk-size line */
#define DC_HEADER_MAX 8192 /* all of the head together */

typedef enum dc_status {
    DC_ERROR = -1, /* the response is malformed; p->error says how */
    DC_MORE = 0,   /* feed more */
    DC_DONE = 1,   /* the response is complete; later bytes are ignored */
} dc_status;

/* Called with each body line, without its "\n" (or "\r\n"), NUL-terminated
 * at line[len]. The pointer is valid during the call only. */
typedef void (*dc_line_fn)(void *ctx, const char *line, size_t len);

typedef struct dc_parser {
    int state;
    int status;  /* the HTTP status, once the status line is read */
    int chunked; /* body framing as announced */
    int has_length;
    unsigned long long length;    /* Content-Length */
    unsigned long long remaining; /* of the body or of the current chunk */
    size_t head_bytes;
    char hline[DC_HLINE_MAX];
    size_t hlen;
    char line[DC_LINE_MAX + 1];
    size_t llen;
    int cont;   /* the last piece handed on did not end its line */
    int result; /* 0 no result line yet, 1 "result: ok", -1 another result */
    dc_line_fn on_line;
    void *ctx;
    const char *error; /* a static message once DC_ERROR */
} dc_parser;

/* Prepares p; on_line may be NULL. */
void dc_parser_init(dc_parser *p, dc_line_fn on_line, void *ctx);

/* Feeds the next len bytes of the response. */
dc_status dc_parser_feed(dc_parser *p, const char *buf, size_t len);

/* The connection has closed: a body delimited by the close is complete (a
 * last line without "\n" is handed on), anything else cut short is an
 * error. */
dc_status dc_parser_eof(dc_parser *p);

/* 0 when the drain succeeded: a complete 200 answer whose last result line
 * is "result: ok". Otherwise 1. */
int dc_parser_verdict(const dc_parser *p);

#endif
