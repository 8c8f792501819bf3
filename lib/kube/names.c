/* Kubernetes' DNS name rules; see names.h. */
#include "kube/names.h"

#include <string.h>

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_lower_alnum(char c)
{
    return is_lower(c) || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over the n bytes at s, with no length
 * bound of its own. */
static bool is_label(const char *s, size_t n)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

bool kube_is_dns1123_label(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    return n <= KUBE_DNS1123_LABEL_MAX && is_label(s, n);
}

bool kube_is_dns1123_subdomain(const char *s)
{
    size_t n, start = 0;

    if (s == NULL)
        return false;
    n = strlen(s);
    if (n > KUBE_DNS1123_SUBDOMAIN_MAX)
        return false;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!is_label(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

bool kube_is_dns1035_label(const char *s)
{
    return kube_is_dns1123_label(s) && is_lower(s[0]);
}
