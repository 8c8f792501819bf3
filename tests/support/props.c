/* Properties lookups for tests; see props.h. */
#include "support/props.h"

#include <stdio.h>
#include <string.h>

const char *props_get(const char *text, const char *key, char *buf, size_t size)
{
    size_t kl = strlen(key);

    for (const char *q = text; q != NULL && *q != '\0';) {
        const char *nl = strchr(q, '\n');
        size_t len = nl != NULL ? (size_t)(nl - q) : strlen(q);

        if (len > kl && strncmp(q, key, kl) == 0 && q[kl] == '=') {
            snprintf(buf, size, "%.*s", (int)(len - kl - 1), q + kl + 1);
            return buf;
        }
        q = nl != NULL ? nl + 1 : NULL;
    }
    return "";
}
