/* What integration tests against the ground's Kafka brokers keep needing:
 * the broker list from $BERTH_KAFKA_BOOTSTRAP, and a connection to one. A
 * test that needs a broker fails, never skips, without it. */
#ifndef BERTH_TESTS_KAFKA_TEST_H
#define BERTH_TESTS_KAFKA_TEST_H

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/metadata.h"

/* How many brokers $BERTH_KAFKA_BOOTSTRAP ("host:port,host:port") lists,
 * split on first use; 0 when it is unset or empty. */
int kft_broker_count(void);

/* The i-th of them, "host:port" (static). Aborts the test, saying how to
 * set the variable, when the list is empty. */
const char *kft_broker(int i);

/* A plaintext connection to addr ("host:port") with its ApiVersions
 * answer in *av (kafka_api_versions_free, then kafka_conn_free). Aborts
 * the test, saying why, when either fails. */
kafka_conn *kft_open(const char *addr, kafka_api_versions **av);

/* Metadata of topic alone over c (kafka_metadata_free). Aborts the test,
 * saying why, when the call fails. */
kafka_metadata *kft_metadata(kafka_conn *c, const kafka_api_versions *av, const char *topic);

#endif
