/* The two broker flavors (flavor.h). */
#include "init/flavor.h"

#include <string.h>

#include "broker/pod_contract.h"

int sc_flavor_parse(const char *name, sc_flavor *out)
{
    if (strcmp(name, "kafka") == 0)
        *out = SC_FLAVOR_KAFKA;
    else if (strcmp(name, "redpanda") == 0)
        *out = SC_FLAVOR_REDPANDA;
    else
        return -1;
    return 0;
}

const char *sc_flavor_name(sc_flavor f)
{
    return f == SC_FLAVOR_REDPANDA ? "redpanda" : "kafka";
}

const char *sc_flavor_data_dir(sc_flavor f)
{
    return f == SC_FLAVOR_REDPANDA ? BROKER_POD_REDPANDA_DATA : BROKER_POD_KAFKA_DATA;
}
