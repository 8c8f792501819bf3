/* MicroTime text; see microtime.h. The calendar arithmetic is
 * done here rather than with timegm/gmtime so parsing is pure and needs no
 * locale or time-zone state. */
#include "kube/microtime.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/clock.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse: the date of a day number. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void kube_time_format_micro(int64_t wall, char out[KUBE_MICROTIME_LEN])
{
    int64_t secs, days, rem, y;
    int m, d;

    if (wall < 0)
        wall = 0;
    secs = wall / UTIL_NS_PER_SEC;
    days = secs / 86400;
    rem = secs % 86400;
    civil_from_days(days, &y, &m, &d);
    if (y > 9999) {
        y = 9999; /* RFC 3339 has four year digits; nothing real gets here */
        m = 12;
        d = 31;
    }
    /* Every field is in range here, but the compiler cannot see that: format
     * into room for any int, then keep the fixed-width result. */
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", (int)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
             (int)(wall % UTIL_NS_PER_SEC / 1000));
    memcpy(out, tmp, KUBE_MICROTIME_LEN - 1);
    out[KUBE_MICROTIME_LEN - 1] = '\0';
}

/* Reads exactly n decimal digits. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = (*p)[i];

        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dm[m - 1];
}

int kube_time_parse(const char *s, int64_t *wall, util_err *err)
{
    const char *p = s;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    int64_t frac = 0, t;

    if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
        !digits(&p, 2, &d) || !(expect(&p, 'T') || expect(&p, 't')) || !digits(&p, 2, &h) ||
        !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &sec))
        goto bad;
    if (*p == '.') {
        int n = 0;

        p++;
        while (*p >= '0' && *p <= '9') {
            if (n < 9) {
                frac = frac * 10 + (*p - '0');
                n++;
            }
            p++;
        }
        if (n == 0)
            goto bad;
        for (; n < 9; n++)
            frac *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om) || oh > 23 || om > 59)
            goto bad;
    } else {
        goto bad;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 60)
        goto bad;
    t = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
        (int64_t)sign * (oh * 3600 + om * 60);
    /* int64 nanoseconds end in 2262 (and begin in 1677). */
    if (t >= INT64_MAX / UTIL_NS_PER_SEC)
        *wall = INT64_MAX;
    else if (t <= INT64_MIN / UTIL_NS_PER_SEC)
        *wall = INT64_MIN;
    else
        *wall = t * UTIL_NS_PER_SEC + frac;
    return 0;
bad:
    return util_err_set(err, "'%.64s' is not an RFC 3339 time", s);
}
