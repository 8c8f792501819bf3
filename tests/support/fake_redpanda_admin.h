/* A FAKE Redpanda admin API for tests: no Redpanda binary can be had on the
 * test machine, so this stands in for the one part of Redpanda that berth
 * talks to. It is the only fake in berth's tests. See
 * fake_redpanda_admin.c for the endpoints and fields it follows.
 *
 * It listens on 127.0.0.1 (a free port) on its own thread and keeps a small
 * cluster's state: brokers 0..n-1, which one is in maintenance mode, how
 * far its drain has got. Behaviour is scripted through the setters, which
 * are safe to call while it serves. */
#ifndef BERTH_TESTS_FAKE_REDPANDA_ADMIN_H
#define BERTH_TESTS_FAKE_REDPANDA_ADMIN_H

#include <stdbool.h>

typedef struct fake_rp fake_rp;

/* Starts a fake cluster of n_brokers brokers, each leading partitions
 * partitions, healthy, with drains that finish on the first status poll.
 * Returns NULL (with a message on stderr) if it cannot listen. */
fake_rp *fake_rp_start(int n_brokers, int partitions);

/* The same over HTTPS with this PEM certificate and key; its URL is
 * "https://localhost:<port>", so the certificate names localhost. */
fake_rp *fake_rp_start_tls(int n_brokers, int partitions, const char *cert_pem,
                           const char *key_pem);

/* Stops the thread and frees. NULL is a no-op. */
void fake_rp_stop(fake_rp *f);

/* "http://127.0.0.1:<port>" (or the https URL); borrowed, lives as long as f. */
const char *fake_rp_url(const fake_rp *f);

/* A drain finishes on the polls-th GET /v1/brokers/{id} after maintenance
 * went on (0: never). With fail, it finishes with errors: true and some
 * failed transfers. */
void fake_rp_set_drain(fake_rp *f, int polls, bool fail);

/* Cluster health: unhealthy lists down_node (if >= 0) in nodes_down and
 * one under-replicated partition. */
void fake_rp_set_healthy(fake_rp *f, bool healthy, int down_node);

/* Every answer waits ms first. */
void fake_rp_set_slow(fake_rp *f, int ms);

/* Answers every GET whose path is path (e.g. "/v1/brokers/1") with this
 * body, 200, as application/json; NULL stops it. The body is copied. */
void fake_rp_set_garbage(fake_rp *f, const char *path, const char *body);

/* Requires HTTP basic auth with these credentials (401 otherwise); NULL
 * turns the check off. */
void fake_rp_set_auth(fake_rp *f, const char *user, const char *password);

/* Puts broker id in maintenance mode as if another client had (so a PUT
 * for a second broker is a 400), or takes it out (-1: nobody). */
void fake_rp_set_maintenance(fake_rp *f, int id);

/* The broker in maintenance mode, or -1. */
int fake_rp_maintenance(fake_rp *f);

/* How many requests with this method and path it has answered. */
int fake_rp_count(fake_rp *f, const char *method, const char *path);

#endif
