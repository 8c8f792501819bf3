/* A client for the parts of Redpanda's admin API (default port 9644) that
 * berth's drain and restore need, on libcurl, and the decoders of its
 * answers, which are pure functions so tests and the fuzzer reach them
 * without a network:
 *
 *   PUT    /v1/brokers/{id}/maintenance   maintenance mode on (drain leadership)
 *   DELETE /v1/brokers/{id}/maintenance   maintenance mode off
 *   GET    /v1/brokers/{id}               one broker; its maintenance_status
 *                                         is the drain progress
 *   GET    /v1/brokers                    every broker
 *   GET    /v1/cluster/health_overview    is the cluster healthy?
 *
 * Only one broker of a cluster may be in maintenance mode at a time: a PUT
 * for a second broker is answered 400, which this client reports as
 * RP_ERR_BUSY so the caller can wait and retry. An unknown broker is a 404,
 * reported as RP_ERR_NOT_FOUND; an admin API that refuses the connection as
 * RP_ERR_UNREACHABLE. Answers are treated as untrusted: a field
 * of the wrong type is an error naming the field.
 *
 * The program calls curl_global_init(CURL_GLOBAL_DEFAULT) once before the
 * first rp_admin_new. One rp_admin is used by one thread at a time. */
#ifndef BERTH_REDPANDA_ADMIN_H
#define BERTH_REDPANDA_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define RP_ADMIN_DEFAULT_URL        "http://localhost:9644"
#define RP_ADMIN_CONNECT_TIMEOUT_MS 3000
#define RP_ADMIN_TIMEOUT_MS         10000
#define RP_MAX_BROKERS              10000

/* Failures callers act on; every other failure is -1. */
#define RP_ERR            (-1)
#define RP_ERR_BUSY       (-2) /* 400 on maintenance on: another broker holds the slot */
#define RP_ERR_NOT_FOUND  (-3) /* 404: the broker is unknown to the cluster */
#define RP_ERR_BAD_ANSWER (-4) /* a 2xx answer whose body does not decode */
/* No connection: refused or unreachable (CURLE_COULDNT_CONNECT). The admin
 * API runs in the Redpanda process, so on localhost: no Redpanda running. */
#define RP_ERR_UNREACHABLE (-5)

typedef struct rp_admin_config {
    const char *base_url; /* "https://localhost:9644"; NULL: RP_ADMIN_DEFAULT_URL */
    const char *ca_file;  /* PEM CAs to trust for https (only these); NULL: system CAs */
    const char *username; /* HTTP basic auth when set, with password */
    const char *password;
    long connect_timeout_ms; /* 0: RP_ADMIN_CONNECT_TIMEOUT_MS */
    long timeout_ms;         /* a whole request; 0: RP_ADMIN_TIMEOUT_MS */
} rp_admin_config;

/* A broker's maintenance_status object (the drain progress). Redpanda
 * leaves out the counts and flags while no drain was ever asked for:
 * absent flags read false and absent counts -1. */
typedef struct rp_maintenance_status {
    bool draining;          /* maintenance mode is on */
    bool finished;          /* the drain has ended (see errors) */
    bool errors;            /* some leadership could not be moved */
    long long partitions;   /* partitions on the broker */
    long long eligible;     /* of those, ones whose leadership can move */
    long long transferring; /* leadership transfers in flight */
    long long failed;       /* transfers that failed */
} rp_maintenance_status;

typedef struct rp_broker {
    int node_id;
    bool is_alive;              /* false when absent */
    char membership_status[32]; /* "active", "draining", "removed"...; "" when absent */
    bool has_maintenance;       /* maintenance_status was present */
    rp_maintenance_status maintenance;
} rp_broker;

typedef struct rp_broker_list {
    rp_broker *items;
    size_t n;
} rp_broker_list;

/* GET /v1/cluster/health_overview. The partition lists are kept as counts
 * plus the first name of each, enough to say why the cluster is
 * unhealthy. */
typedef struct rp_health {
    bool is_healthy;
    int controller_id; /* -1: no controller elected (or absent) */
    int *all_nodes;
    size_t n_all_nodes;
    int *nodes_down;
    size_t n_nodes_down;
    size_t leaderless;       /* count of leaderless partitions */
    size_t under_replicated; /* count of under-replicated partitions */
    char first_leaderless[128];
    char first_under_replicated[128];
} rp_health;

typedef struct rp_admin rp_admin;

/* Copies cfg's strings; cfg may be NULL for all defaults. base_url must be
 * http:// or https://. *out is the caller's, for rp_admin_free. */
int rp_admin_new(const rp_admin_config *cfg, rp_admin **out, util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. */
void rp_admin_free(rp_admin *a);

/* Sets the whole-request timeout of the next requests (a caller with a
 * deadline shortens it as the deadline nears); <= 0 restores the
 * configured one. */
void rp_admin_set_timeout(rp_admin *a, long timeout_ms);

/* The base URL in use (borrowed from a, for its life). */
const char *rp_admin_url(const rp_admin *a);

/* PUT /v1/brokers/{id}/maintenance. Returns 0, RP_ERR_BUSY,
 * RP_ERR_NOT_FOUND, RP_ERR_UNREACHABLE or RP_ERR, with err saying what
 * Redpanda said. Every call below may return RP_ERR_UNREACHABLE too. */
int rp_admin_maintenance_on(rp_admin *a, int broker_id, util_err *err) UTIL_MUST_CHECK;

/* DELETE /v1/brokers/{id}/maintenance. Returns 0, RP_ERR_NOT_FOUND or
 * RP_ERR. */
int rp_admin_maintenance_off(rp_admin *a, int broker_id, util_err *err) UTIL_MUST_CHECK;

/* GET /v1/brokers/{id}. Returns 0, RP_ERR_NOT_FOUND, RP_ERR_BAD_ANSWER or
 * RP_ERR. The getters below return RP_ERR_BAD_ANSWER the same way. */
int rp_admin_broker(rp_admin *a, int broker_id, rp_broker *out, util_err *err) UTIL_MUST_CHECK;

/* GET /v1/brokers. On success *out is filled; release with
 * rp_broker_list_clear. */
int rp_admin_brokers(rp_admin *a, rp_broker_list *out, util_err *err) UTIL_MUST_CHECK;

/* GET /v1/cluster/health_overview. On success *out is filled; release with
 * rp_health_clear. */
int rp_admin_health(rp_admin *a, rp_health *out, util_err *err) UTIL_MUST_CHECK;

/* ---- decoders of answer bodies (pure; out is untouched on failure) ---- */

int rp_decode_maintenance_status(const char *body, size_t len, rp_maintenance_status *out,
                                 util_err *err) UTIL_MUST_CHECK;
int rp_decode_broker(const char *body, size_t len, rp_broker *out, util_err *err) UTIL_MUST_CHECK;
int rp_decode_brokers(const char *body, size_t len, rp_broker_list *out,
                      util_err *err) UTIL_MUST_CHECK;
int rp_decode_health(const char *body, size_t len, rp_health *out, util_err *err) UTIL_MUST_CHECK;

/* Frees what the list or the health overview holds and empties it. */
void rp_broker_list_clear(rp_broker_list *l);
void rp_health_clear(rp_health *h);

/* Whether id is in h->nodes_down. */
bool rp_health_node_down(const rp_health *h, int id);

/* One line for people: "healthy" or "unhealthy: nodes down [2], 3
 * leaderless partitions (kafka/t/0...), ...". */
void rp_health_describe(const rp_health *h, char *buf, size_t size);

#endif
