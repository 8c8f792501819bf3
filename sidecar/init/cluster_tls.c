/* The broker's certificate for the cluster's mutual TLS; see cluster_tls.h. */
#include "init/cluster_tls.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "init/tls_bundle.h"
#include "kube/object.h"
#include "pki/pki.h"
#include "util/base64.h"

/* One decoded key of the Secret's data. */
typedef struct part {
    char key[300];
    char *pem;
    size_t len;
} part;

/* data[p->key] decoded into p->pem; false with why set when it is missing
 * or not base64. */
static bool take_part(const cJSON *data, part *p, const char *secret, char *why, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, p->key);

    if (!cJSON_IsString(v)) {
        snprintf(why, size, "Secret %s has no %s yet", secret, p->key);
        return false;
    }
    if (util_base64_decode(v->valuestring, strlen(v->valuestring), &p->pem, &p->len) != 0) {
        snprintf(why, size, "Secret %s: %s is not base64", secret, p->key);
        return false;
    }
    return true;
}

/* Whether info names host: a DNS name, or an IP address compared as one
 * (whatever its spelling). */
static bool names(const pki_cert_info *info, const char *host)
{
    unsigned char want[16], have[16];
    int af = inet_pton(AF_INET6, host, want) == 1  ? AF_INET6
             : inet_pton(AF_INET, host, want) == 1 ? AF_INET
                                                   : 0;

    if (af == 0) {
        for (size_t i = 0; i < info->ndns; i++)
            if (strcmp(info->dns[i], host) == 0)
                return true;
        return false;
    }
    for (size_t i = 0; i < info->nips; i++)
        if (inet_pton(af, info->ips[i], have) == 1 &&
            memcmp(have, want, af == AF_INET ? 4 : 16) == 0)
            return true;
    return false;
}

/* Whether the pair is one a peer will accept; why says what is wrong. */
static bool usable(const part *ca, const part *crt, const part *key, const char *const *hosts,
                   size_t nhosts, long long now, char *why, size_t size)
{
    pki_cert_info info;
    util_err e = {{0}};
    bool ok = false;
    size_t missing = nhosts;

    if (pki_inspect(crt->pem, crt->len, &info, &e) != 0) {
        snprintf(why, size, "%s: %s", crt->key, e.msg);
        return false;
    }
    for (size_t i = 0; i < nhosts && missing == nhosts; i++)
        if (!names(&info, hosts[i]))
            missing = i;
    if (missing < nhosts)
        snprintf(why, size, "%s does not name %s yet", crt->key, hosts[missing]);
    else if (info.not_after <= now)
        snprintf(why, size, "%s expired", crt->key);
    else if (now < info.not_before + SC_CLUSTER_TLS_SETTLE_S)
        snprintf(why, size, "%s was issued less than %d s ago", crt->key, SC_CLUSTER_TLS_SETTLE_S);
    else if (pki_verify_issued_by(crt->pem, ca->pem, &e) != 0)
        snprintf(why, size, "%s is not from the CA in %s: %s", crt->key, ca->key, e.msg);
    else if (pki_key_matches(crt->pem, key->pem, &e) != 0)
        snprintf(why, size, "%s is not the key of %s", key->key, crt->key);
    else
        ok = true;
    pki_cert_info_clear(&info);
    return ok;
}

int sc_cluster_tls_take(const cJSON *secret, const char *pod, const char *const *hosts,
                        size_t nhosts, long long now, const char *config_dir, char *why,
                        size_t why_size, util_err *err)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(secret, "data");
    const char *ns = kube_meta_str(secret, "namespace"), *name = kube_meta_str(secret, "name");
    char where[300];
    part p[3];
    int rc = SC_CLUSTER_TLS_WAITING;

    memset(p, 0, sizeof p);
    snprintf(where, sizeof where, "%s/%s", ns != NULL ? ns : "?", name != NULL ? name : "?");
    snprintf(p[0].key, sizeof p[0].key, "ca.crt");
    snprintf(p[1].key, sizeof p[1].key, "%s.crt", pod);
    snprintf(p[2].key, sizeof p[2].key, "%s.key", pod);
    if (take_part(data, &p[0], where, why, why_size) &&
        take_part(data, &p[1], where, why, why_size) &&
        take_part(data, &p[2], where, why, why_size) &&
        usable(&p[0], &p[1], &p[2], hosts, nhosts, now, why, why_size)) {
        sc_tls_pair pair = {p[1].pem, p[2].pem, p[0].pem, p[1].len, p[2].len,
                            p[0].len, p[1].key, p[2].key, p[0].key};

        rc = sc_tls_cluster_write(config_dir, &pair, err) == 0 ? 0 : -1;
        if (rc != 0)
            util_err_prefix(err, "Secret %s", where);
    }
    for (int i = 0; i < 3; i++) {
        if (p[i].pem != NULL)
            OPENSSL_cleanse(p[i].pem, p[i].len);
        free(p[i].pem);
    }
    return rc;
}
