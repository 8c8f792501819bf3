/* The one logger of berth's programs: lines on stderr, plain text for a
 * person or one JSON object per line for a log collector. Library code logs
 * only through here. */
#ifndef BERTH_UTIL_LOG_H
#define BERTH_UTIL_LOG_H

typedef enum util_log_level {
    UTIL_LOG_DEBUG,
    UTIL_LOG_INFO,
    UTIL_LOG_WARN,
    UTIL_LOG_ERROR,
} util_log_level;

typedef enum util_log_format {
    UTIL_LOG_TEXT,
    UTIL_LOG_JSON,
} util_log_format;

/* Sets the format and the lowest level written. The process-wide setting is
 * the one piece of global state: programs set it once at start. */
void util_log_setup(util_log_format format, util_log_level min_level);

/* Parses "text" or "json". Returns 0, or -1 for anything else. */
int util_log_parse_format(const char *s, util_log_format *out);

/* Writes one line (printf format), control characters in it escaped (text:
 * \n, \r, \t, \xNN; JSON: as JSON does); safe to call from several threads. */
void util_log(util_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A log hook for libwebsockets (lws_set_log_level): its line, its own
 * newline dropped, at debug level with "lws: " in front. Its errors are
 * mostly about a peer's bad input, and every failure that matters comes
 * back through berth's own calls with a util_err. level is lws's, unused. */
void util_log_lws(int level, const char *line);

#define util_debug(...) util_log(UTIL_LOG_DEBUG, __VA_ARGS__)
#define util_info(...)  util_log(UTIL_LOG_INFO, __VA_ARGS__)
#define util_warn(...)  util_log(UTIL_LOG_WARN, __VA_ARGS__)
#define util_error(...) util_log(UTIL_LOG_ERROR, __VA_ARGS__)

#endif
