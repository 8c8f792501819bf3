/* metadata.version levels, their names and what each Kafka release runs
 * (see metadata_version.h). */
#include "metadata_version.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kafka's MetadataVersion enum, production levels (Apache Kafka 4.4.0's
 * list; 4.x dropped everything before 3.3-IV3). */
static const struct {
    const char *name;
    int level;
} levels[] = {
    {"3.3-IV3", 7},  {"3.4-IV0", 8},  {"3.5-IV0", 9},  {"3.5-IV1", 10}, {"3.5-IV2", 11},
    {"3.6-IV0", 12}, {"3.6-IV1", 13}, {"3.6-IV2", 14}, {"3.7-IV0", 15}, {"3.7-IV1", 16},
    {"3.7-IV2", 17}, {"3.7-IV3", 18}, {"3.7-IV4", 19}, {"3.8-IV0", 20}, {"3.9-IV0", 21},
    {"4.0-IV0", 22}, {"4.0-IV1", 23}, {"4.0-IV2", 24}, {"4.0-IV3", 25}, {"4.1-IV0", 26},
    {"4.1-IV1", 27}, {"4.2-IV0", 28}, {"4.2-IV1", 29}, {"4.3-IV0", 30}, {"4.4-IV0", 31},
    {"4.4-IV1", 32}, {"4.4-IV2", 33},
};
#define N_LEVELS (sizeof levels / sizeof levels[0])

int op_mv_level(const char *name)
{
    char *end;
    long v;
    size_t i;

    if (name == NULL || *name == '\0')
        return -1;
    for (i = 0; i < N_LEVELS; i++)
        if (strcmp(levels[i].name, name) == 0)
            return levels[i].level;
    if (!isdigit((unsigned char)name[0]))
        return -1;
    v = strtol(name, &end, 10);
    return *end == '\0' && v >= 1 && v <= 32767 ? (int)v : -1;
}

const char *op_mv_name(int level)
{
    size_t i;

    for (i = 0; i < N_LEVELS; i++)
        if (levels[i].level == level)
            return levels[i].name;
    return NULL;
}

/* Reads "X.Y.Z" at s, each a run of digits, Z not followed by a digit or
 * '.'; 0 or -1. */
static int read_release(const char *s, int *major, int *minor, int *patch)
{
    int part[3], i;

    for (i = 0; i < 3; i++) {
        long v = 0;
        int digits = 0;

        while (isdigit((unsigned char)*s) && digits < 6) {
            v = v * 10 + (*s++ - '0');
            digits++;
        }
        if (digits == 0 || isdigit((unsigned char)*s) || (i < 2 && *s++ != '.'))
            return -1;
        part[i] = (int)v;
    }
    if (*s == '.')
        return -1;
    *major = part[0];
    *minor = part[1];
    *patch = part[2];
    return 0;
}

int op_kafka_release(const char *image, int *major, int *minor, int *patch)
{
    const char *name, *tag = NULL, *end, *p;

    if (image == NULL)
        return -1;
    /* The last path part's tag, before any digest: a ':' earlier is a
     * registry's port, one after '@' the digest's algorithm. */
    name = strrchr(image, '/');
    name = name != NULL ? name + 1 : image;
    end = strchr(name, '@');
    if (end == NULL)
        end = name + strlen(name);
    for (p = name; p < end; p++)
        if (*p == ':')
            tag = p + 1;
    if (tag == NULL)
        return -1;
    for (p = tag; p < end; p++) {
        if (!isdigit((unsigned char)*p) ||
            (p > tag && (isdigit((unsigned char)p[-1]) || p[-1] == '.')))
            continue;
        if (read_release(p, major, minor, patch) == 0)
            return 0;
    }
    return -1;
}

int op_mv_release_max(int major, int minor)
{
    char prefix[32];
    int best = -1, n;
    size_t i;

    n = snprintf(prefix, sizeof prefix, "%d.%d-", major, minor);
    for (i = 0; i < N_LEVELS; i++)
        if (strncmp(levels[i].name, prefix, (size_t)n) == 0)
            best = levels[i].level;
    if (best >= 0)
        return best;
    /* Not in the table: before its first release or after its last. */
    if (major < 3 || (major == 3 && minor < 3))
        return -1;
    return 0;
}
