/* Logging to stderr as text or JSON lines; see log.h. */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static util_log_format log_format = UTIL_LOG_TEXT;
static util_log_level log_min = UTIL_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void util_log_setup(util_log_format format, util_log_level min_level)
{
    log_format = format;
    log_min = min_level;
}

int util_log_parse_format(const char *s, util_log_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = UTIL_LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = UTIL_LOG_JSON;
    else
        return -1;
    return 0;
}

/* Writes s as the body of a JSON string. */
static void put_json_escaped(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

/* Writes s on one line: control characters (a newline from a broker's
 * answer, say) as escapes, so no message can forge a line of its own. */
static void put_text_escaped(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            fputs("\\n", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

void util_log(util_log_level level, const char *fmt, ...)
{
    char msg[2048];
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    if (level < log_min)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    pthread_mutex_lock(&log_lock);
    if (log_format == UTIL_LOG_JSON) {
        fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"", stamp,
                ts.tv_nsec / 1000000, level_names[level]);
        put_json_escaped(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s.%03ldZ %-5s ", stamp, ts.tv_nsec / 1000000, level_names[level]);
        put_text_escaped(stderr, msg);
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&log_lock);
}

void util_log_lws(int level, const char *line)
{
    char msg[512];
    size_t n;

    (void)level;
    snprintf(msg, sizeof msg, "%s", line);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    util_log(UTIL_LOG_DEBUG, "lws: %s", msg);
}
