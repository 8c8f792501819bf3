/* The two broker flavors berth runs, Apache Kafka and Redpanda: what
 * cluster.json's "flavor" and `run --flavor` name. */
#ifndef BERTH_SIDECAR_INIT_FLAVOR_H
#define BERTH_SIDECAR_INIT_FLAVOR_H

typedef enum sc_flavor {
    SC_FLAVOR_KAFKA,
    SC_FLAVOR_REDPANDA,
} sc_flavor;

/* "kafka" or "redpanda" into *out: 0, or -1 for any other name. */
int sc_flavor_parse(const char *name, sc_flavor *out);

/* "kafka" or "redpanda". */
const char *sc_flavor_name(sc_flavor f);

/* The default data directory of a flavor (BROKER_POD_KAFKA_DATA, ...). */
const char *sc_flavor_data_dir(sc_flavor f);

#endif
