/* Incremental HTTP/1.1 response parsing for the drain client; see
 * drain_response.h. libc only. */
#include "drain_response.h"

#include <string.h>

enum {
    S_STATUS,     /* reading the status line */
    S_HEADER,     /* reading header lines */
    S_BODY_LEN,   /* body of Content-Length bytes */
    S_BODY_CLOSE, /* body until the connection closes */
    S_CHUNK_SIZE, /* a chunk-size line */
    S_CHUNK_DATA, /* inside a chunk */
    S_CHUNK_END,  /* the CRLF after a chunk */
    S_TRAILER,    /* trailer lines after the last chunk */
    S_DONE,
    S_ERROR,
};

void dc_parser_init(dc_parser *p, dc_line_fn on_line, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->state = S_STATUS;
    p->on_line = on_line;
    p->ctx = ctx;
}

static dc_status reject(dc_parser *p, const char *why)
{
    p->state = S_ERROR;
    p->error = why;
    return DC_ERROR;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int eq_nocase(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* Hands the body line collected so far on. A piece of an overlong line is
 * never taken for a result line unless it starts the line. */
static void emit_line(dc_parser *p, int ends_line)
{
    p->line[p->llen] = '\0';
    if (!p->cont && strncmp(p->line, DC_RESULT_PREFIX, strlen(DC_RESULT_PREFIX)) == 0)
        p->result = strcmp(p->line, DC_RESULT_OK) == 0 ? 1 : -1;
    if (p->on_line != NULL)
        p->on_line(p->ctx, p->line, p->llen);
    p->llen = 0;
    p->cont = !ends_line;
}

static void body_bytes(dc_parser *p, const char *buf, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            if (p->llen > 0 && p->line[p->llen - 1] == '\r')
                p->llen--;
            emit_line(p, 1);
        } else {
            p->line[p->llen++] = buf[i];
            if (p->llen == DC_LINE_MAX)
                emit_line(p, 0);
        }
    }
}

static dc_status done(dc_parser *p)
{
    if (p->llen > 0)
        emit_line(p, 1);
    p->state = S_DONE;
    return DC_DONE;
}

/* "HTTP/1.x NNN[ reason]" */
static dc_status status_line(dc_parser *p, const char *l)
{
    if (strncmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9' || l[8] != ' ')
        return reject(p, "not an HTTP/1.x status line");
    if (l[9] < '1' || l[9] > '9' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
        (l[12] != ' ' && l[12] != '\0'))
        return reject(p, "bad status code");
    p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    p->state = S_HEADER;
    return DC_MORE;
}

static int parse_decimal(const char *s, unsigned long long *out)
{
    unsigned long long v = 0;
    int digits = 0;

    for (; *s >= '0' && *s <= '9'; s++) {
        if (++digits > 18)
            return -1;
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    if (digits == 0 || *s != '\0')
        return -1;
    *out = v;
    return 0;
}

static dc_status end_of_head(dc_parser *p)
{
    if (p->status < 200) {
        /* An interim answer (100 Continue): the real one follows. */
        p->state = S_STATUS;
        p->chunked = p->has_length = 0;
        return DC_MORE;
    }
    if (p->status == 204 || p->status == 304)
        return done(p);
    if (p->chunked) {
        p->state = S_CHUNK_SIZE;
        return DC_MORE;
    }
    if (p->has_length) {
        p->remaining = p->length;
        p->state = S_BODY_LEN;
        return p->remaining == 0 ? done(p) : DC_MORE;
    }
    p->state = S_BODY_CLOSE;
    return DC_MORE;
}

static dc_status header_line(dc_parser *p, char *l)
{
    char *colon, *v, *end;
    size_t i;

    if (*l == '\0')
        return end_of_head(p);
    colon = strchr(l, ':');
    if (colon == NULL || colon == l)
        return reject(p, "malformed header line");
    for (i = 0; l + i < colon; i++) {
        unsigned char c = (unsigned char)l[i];
        if (c <= ' ' || c >= 0x7f)
            return reject(p, "malformed header name");
    }
    *colon = '\0';
    v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';

    if (eq_nocase(l, "content-length")) {
        unsigned long long n;
        if (parse_decimal(v, &n) != 0)
            return reject(p, "bad content-length");
        if (p->has_length && n != p->length)
            return reject(p, "conflicting content-length headers");
        p->has_length = 1;
        p->length = n;
    } else if (eq_nocase(l, "transfer-encoding")) {
        if (!eq_nocase(v, "chunked"))
            return reject(p, "unsupported transfer-encoding");
        p->chunked = 1;
    }
    return DC_MORE;
}

/* hex size, then optional whitespace and ";extensions" */
static dc_status chunk_size_line(dc_parser *p, const char *l)
{
    unsigned long long v = 0;
    int digits = 0;

    for (;; l++) {
        int d;
        if (*l >= '0' && *l <= '9')
            d = *l - '0';
        else if (lower((unsigned char)*l) >= 'a' && lower((unsigned char)*l) <= 'f')
            d = lower((unsigned char)*l) - 'a' + 10;
        else
            break;
        if (++digits > 15)
            return reject(p, "chunk too large");
        v = v * 16 + (unsigned long long)d;
    }
    while (*l == ' ' || *l == '\t')
        l++;
    if (digits == 0 || (*l != '\0' && *l != ';'))
        return reject(p, "bad chunk size");
    if (v == 0) {
        p->state = S_TRAILER;
        return DC_MORE;
    }
    p->remaining = v;
    p->state = S_CHUNK_DATA;
    return DC_MORE;
}

/* A complete line of the head or of the chunk framing, without its end. */
static dc_status framing_line(dc_parser *p, char *l)
{
    switch (p->state) {
    case S_STATUS:
        return status_line(p, l);
    case S_HEADER:
        return header_line(p, l);
    case S_CHUNK_SIZE:
        return chunk_size_line(p, l);
    case S_CHUNK_END:
        if (*l != '\0')
            return reject(p, "chunk longer than its size");
        p->state = S_CHUNK_SIZE;
        return DC_MORE;
    case S_TRAILER:
        return *l == '\0' ? done(p) : DC_MORE;
    default:
        return reject(p, "internal: bad state");
    }
}

/* Whether the parser has finished, with *st its outcome (DC_DONE or
 * DC_ERROR). */
static int finished(const dc_parser *p, dc_status *st)
{
    if (p->state != S_DONE && p->state != S_ERROR)
        return 0;
    *st = p->state == S_DONE ? DC_DONE : DC_ERROR;
    return 1;
}

dc_status dc_parser_feed(dc_parser *p, const char *buf, size_t len)
{
    dc_status end;
    size_t i = 0;

    while (i < len) {
        if (finished(p, &end))
            return end;
        switch (p->state) {
        case S_BODY_CLOSE:
            body_bytes(p, buf + i, len - i);
            return DC_MORE;
        case S_BODY_LEN:
        case S_CHUNK_DATA: {
            size_t n = len - i;
            if (n > p->remaining)
                n = (size_t)p->remaining;
            body_bytes(p, buf + i, n);
            p->remaining -= n;
            i += n;
            if (p->remaining == 0) {
                if (p->state == S_BODY_LEN)
                    return done(p);
                p->state = S_CHUNK_END;
            }
            break;
        }
        default: {
            dc_status st;
            char c = buf[i++];
            int in_head = p->state == S_STATUS || p->state == S_HEADER || p->state == S_TRAILER;
            if (in_head && ++p->head_bytes > DC_HEADER_MAX)
                return reject(p, "response head too large");
            if (c != '\n') {
                if (p->hlen == DC_HLINE_MAX - 1)
                    return reject(p, "response line too long");
                if (c == '\0')
                    return reject(p, "NUL byte in the response head");
                p->hline[p->hlen++] = c;
                break;
            }
            if (p->hlen > 0 && p->hline[p->hlen - 1] == '\r')
                p->hlen--;
            p->hline[p->hlen] = '\0';
            p->hlen = 0;
            st = framing_line(p, p->hline);
            if (st != DC_MORE)
                return st;
            break;
        }
        }
    }
    return finished(p, &end) ? end : DC_MORE;
}

dc_status dc_parser_eof(dc_parser *p)
{
    dc_status end;

    if (finished(p, &end))
        return end;
    switch (p->state) {
    case S_BODY_CLOSE:
        return done(p);
    case S_STATUS:
        if (p->hlen == 0 && p->head_bytes == 0)
            return reject(p, "connection closed without an answer");
        /* fall through */
    default:
        return reject(p, "connection closed before the answer was complete");
    }
}

int dc_parser_verdict(const dc_parser *p)
{
    return p->state == S_DONE && p->status == 200 && p->result == 1 ? 0 : 1;
}
