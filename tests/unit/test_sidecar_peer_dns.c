/* The hand-back's wait for peers to dial this pod where it is now
 * (sidecar/engine/kafka/peer_dns.c): after a restart on a new IP, the broker's pod name
 * first does not resolve, then still gives the old pod's IP, then this
 * pod's; leadership may be handed back only settle_ms after the name
 * first resolved to this pod's IP (every peer's cached answer is older and
 * has expired by then), the wait starts over if the name goes back to
 * another address, stays over once settled, matches IPv6 however written
 * and among several addresses, and ends anyway after
 * SC_PEER_DNS_GIVE_UP_MS of never seeing the pod's IP, so a network where
 * name and pod IP differ never keeps a broker unready for good. The real
 * lookup (getaddrinfo) is checked on "localhost". */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/engine/kafka/engine.h"
#include "sidecar/engine/kafka/peer_dns.h"

#define NAME   "demo-2.demo-brokers.kafka.svc.cluster.local"
#define OLD_IP "10.245.1.3"
#define NEW_IP "10.245.0.4"

static sc_peer_dns waiting(long settle_ms)
{
    sc_peer_dns p;

    memset(&p, 0, sizeof p);
    p.name = NAME;
    p.pod_ip = NEW_IP;
    p.settle_ms = settle_ms;
    return p;
}

/* One judgement of a lookup that found addr (NULL: no such name). */
static int judge(sc_peer_dns *p, const char *addr, long long now, char *why, size_t size)
{
    const char *addrs[1] = {addr};

    return addr != NULL
               ? sc_peer_dns_judge(p, addrs, 1, NULL, now, why, size)
               : sc_peer_dns_judge(p, NULL, 0, "Name or service not known", now, why, size);
}

static void has(const char *why, const char *part)
{
    ck_assert_msg(strstr(why, part) != NULL, "'%s' lacks '%s'", why, part);
}

START_TEST(test_waits_for_the_pod_ip_then_settle)
{
    sc_peer_dns p = waiting(10000);
    char why[512];

    /* Between the old pod's deletion and this pod's IP in DNS. */
    ck_assert_int_eq(judge(&p, NULL, 1000, why, sizeof why), 0);
    has(why, NAME " does not resolve (Name or service not known), not this pod's " NEW_IP);
    /* A cache still holding the old pod. */
    ck_assert_int_eq(judge(&p, OLD_IP, 2000, why, sizeof why), 0);
    has(why, NAME " resolves to " OLD_IP ", not this pod's " NEW_IP);
    /* Right from now on: peers' caches may hold the old one 10 s more. */
    ck_assert_int_eq(judge(&p, NEW_IP, 3000, why, sizeof why), 0);
    has(why, "handed back 10000 ms after " NAME " resolved to this pod's " NEW_IP);
    ck_assert_int_eq(judge(&p, NEW_IP, 12999, why, sizeof why), 0);
    ck_assert_int_eq(judge(&p, NEW_IP, 13000, why, sizeof why), 1);
    ck_assert_str_eq(why, "");
    /* Settled for the pod's life: no more lookups, whatever they would say. */
    ck_assert(p.settled);
    ck_assert_int_eq(judge(&p, OLD_IP, 14000, why, sizeof why), 1);
    ck_assert_int_eq(sc_peer_dns_check(&p, why, sizeof why), 1);
}
END_TEST

START_TEST(test_an_older_answer_again_restarts_the_wait)
{
    sc_peer_dns p = waiting(10000);
    char why[512];

    ck_assert_int_eq(judge(&p, NEW_IP, 1000, why, sizeof why), 0);
    ck_assert_int_eq(judge(&p, OLD_IP, 5000, why, sizeof why), 0);
    has(why, "resolves to " OLD_IP);
    ck_assert_int_eq(judge(&p, NEW_IP, 6000, why, sizeof why), 0);
    ck_assert_int_eq(judge(&p, NEW_IP, 11000, why, sizeof why), 0);
    ck_assert_int_eq(judge(&p, NEW_IP, 15999, why, sizeof why), 0);
    ck_assert_int_eq(judge(&p, NEW_IP, 16000, why, sizeof why), 1);
}
END_TEST

START_TEST(test_ipv6_and_several_addresses)
{
    sc_peer_dns p = waiting(0);
    const char *addrs[2] = {"10.0.0.9", "fd00:0:0:0:0:0:0:4"};
    const char *others[2] = {"10.0.0.9", "fd00::5"};
    char why[512];

    p.pod_ip = "fd00::4";
    ck_assert_int_eq(sc_peer_dns_judge(&p, others, 2, NULL, 100, why, sizeof why), 0);
    has(why, "resolves to 10.0.0.9, fd00::5, not this pod's fd00::4");
    ck_assert_int_eq(sc_peer_dns_judge(&p, addrs, 2, NULL, 200, why, sizeof why), 1);
}
END_TEST

START_TEST(test_gives_up_when_the_name_never_gives_the_pod_ip)
{
    sc_peer_dns p = waiting(10000);
    char why[512];

    ck_assert_int_eq(judge(&p, NULL, 1, why, sizeof why), 0);
    ck_assert_int_eq(judge(&p, "10.9.9.9", SC_PEER_DNS_GIVE_UP_MS, why, sizeof why), 0);
    ck_assert_int_eq(judge(&p, "10.9.9.9", SC_PEER_DNS_GIVE_UP_MS + 1, why, sizeof why), 1);
    ck_assert(p.settled);
}
END_TEST

START_TEST(test_no_name_or_no_pod_ip_means_no_wait)
{
    sc_peer_dns p = waiting(10000);
    char why[512];

    p.name = NULL;
    ck_assert_int_eq(judge(&p, OLD_IP, 1, why, sizeof why), 1);
    ck_assert_int_eq(sc_peer_dns_check(&p, why, sizeof why), 1);
    p = waiting(10000);
    p.pod_ip = NULL;
    ck_assert_int_eq(sc_peer_dns_check(&p, why, sizeof why), 1);
}
END_TEST

/* The wait covers the longer of the clients' and the brokers' DNS caches,
 * plus a record's TTL: 35 s for JVM clients left at their 30 s, 10 s for
 * clients that cache less than the brokers' 5 s. */
START_TEST(test_settle_covers_the_longer_cache)
{
    ck_assert_int_eq(sc_kafka_peer_dns_settle_ms(SC_KAFKA_CLIENT_DNS_CACHE_S), 35000);
    ck_assert_int_eq(sc_kafka_peer_dns_settle_ms(0), 10000);
    ck_assert_int_eq(sc_kafka_peer_dns_settle_ms(3), 10000);
    ck_assert_int_eq(sc_kafka_peer_dns_settle_ms(120), 125000);
}
END_TEST

START_TEST(test_real_lookup_of_localhost)
{
    sc_peer_dns p = waiting(0);
    char why[512];

    p.name = "localhost";
    p.pod_ip = "127.0.0.2";
    ck_assert_int_eq(sc_peer_dns_check(&p, why, sizeof why), 0);
    has(why, "localhost resolves to ");
    has(why, "127.0.0.1");
    has(why, "not this pod's 127.0.0.2");
    p.pod_ip = "127.0.0.1";
    ck_assert_int_eq(sc_peer_dns_check(&p, why, sizeof why), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_peer_dns");
    TCase *tc = tcase_create("peer_dns");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_waits_for_the_pod_ip_then_settle);
    tcase_add_test(tc, test_an_older_answer_again_restarts_the_wait);
    tcase_add_test(tc, test_ipv6_and_several_addresses);
    tcase_add_test(tc, test_gives_up_when_the_name_never_gives_the_pod_ip);
    tcase_add_test(tc, test_no_name_or_no_pod_ip_means_no_wait);
    tcase_add_test(tc, test_settle_covers_the_longer_cache);
    tcase_add_test(tc, test_real_lookup_of_localhost);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
