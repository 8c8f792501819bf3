/* The ground's Kafka broker list for integration tests; see kafka_test.h. */
#include "support/kafka_test.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BROKERS 16

static char brokers[MAX_BROKERS][128];
static int n_brokers;
static int loaded;

static void load_brokers(void)
{
    const char *p = getenv("BERTH_KAFKA_BOOTSTRAP");

    loaded = 1;
    while (p != NULL && *p != '\0' && n_brokers < MAX_BROKERS) {
        size_t len = strcspn(p, ",");
        if (len > 0 && len < sizeof brokers[0]) {
            memcpy(brokers[n_brokers], p, len);
            brokers[n_brokers][len] = '\0';
            n_brokers++;
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

int kft_broker_count(void)
{
    if (!loaded)
        load_brokers();
    return n_brokers;
}

const char *kft_broker(int i)
{
    if (kft_broker_count() == 0)
        ck_abort_msg("BERTH_KAFKA_BOOTSTRAP is not set: export the brokers' host:port list "
                     "(tests/ground/kafka.sh bootstrap prints it)");
    return brokers[i];
}

kafka_conn *kft_open(const char *addr, kafka_api_versions **av)
{
    kafka_conn *c = NULL;
    util_err err;

    ck_assert_msg(kafka_conn_new(addr, NULL, &c, &err) == 0, "%s: %s", addr, err.msg);
    ck_assert_msg(kafka_api_versions_fetch(c, 15000, av, &err) == 0, "%s: %s", addr, err.msg);
    return c;
}

kafka_metadata *kft_metadata(kafka_conn *c, const kafka_api_versions *av, const char *topic)
{
    const char *names[1] = {topic};
    kafka_metadata_request req = {names, 1};
    kafka_metadata *md;
    util_err err;

    ck_assert_msg(kafka_metadata_call(c, av, &req, 15000, &md, &err) == 0, "Metadata of %s: %s",
                  topic, err.msg);
    return md;
}
