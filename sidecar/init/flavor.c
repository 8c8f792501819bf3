/* The two broker flavors (flavor.h). */
#include "init/flavor.h"

const char *sc_flavor_name(sc_flavor f)
{
    return f == SC_FLAVOR_REDPANDA ? "redpanda" : "kafka";
}

const char *sc_flavor_data_dir(sc_flavor f)
{
    return f == SC_FLAVOR_REDPANDA ? SC_REDPANDA_DATA_DIR : SC_KAFKA_DATA_DIR;
}
