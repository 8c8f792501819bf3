/* The work queue keeps client-go's promises: a waiting key is queued once; a
 * key is never held by two workers even when many threads hammer it, and an
 * add during processing is not lost but re-queued on done; delayed adds come
 * out in due-time order and coalesce to the earliest; rate-limited adds back
 * off exactly base * 2^n up to the cap, under an overall token bucket, and
 * forget resets that; shutdown wakes every blocked worker. Delays are checked
 * to the nanosecond against a fake clock. Leaks are caught by running this
 * under ASan (LeakSanitizer). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/workqueue.h"

#define MS  1000000ULL
#define SEC (1000 * MS)

typedef struct fake_clock {
    _Atomic uint64_t t;
} fake_clock;

static util_time fake_now(void *ctx)
{
    return (util_time){.mono = (int64_t)atomic_load(&((fake_clock *)ctx)->t)};
}

static kube_workqueue *new_queue(const kube_workqueue_opts *opts)
{
    kube_workqueue *q = NULL;
    util_err err = {{0}};

    ck_assert_msg(kube_workqueue_new(opts, &q, &err) == 0, "%s", err.msg);
    return q;
}

static kube_workqueue *new_fake_queue(fake_clock *clk, kube_workqueue_opts opts)
{
    opts.now = fake_now;
    opts.now_ctx = clk;
    return new_queue(&opts);
}

static void add(kube_workqueue *q, const char *key)
{
    util_err err = {{0}};
    ck_assert_msg(kube_workqueue_add(q, key, &err) == 0, "%s", err.msg);
}

static void add_after(kube_workqueue *q, const char *key, uint64_t delay)
{
    util_err err = {{0}};
    ck_assert_msg(kube_workqueue_add_after(q, key, delay, &err) == 0, "%s", err.msg);
}

static void add_rl(kube_workqueue *q, const char *key)
{
    util_err err = {{0}};
    ck_assert_msg(kube_workqueue_add_rate_limited(q, key, &err) == 0, "%s", err.msg);
}

static void done(kube_workqueue *q, const char *key)
{
    util_err err = {{0}};
    ck_assert_msg(kube_workqueue_done(q, key, &err) == 0, "%s", err.msg);
}

/* Takes the next ready key without blocking, checks it, and calls done. */
static void expect_next(kube_workqueue *q, const char *want)
{
    const char *key = NULL;
    ck_assert_int_eq(kube_workqueue_try_get(q, &key), KUBE_WQ_OK);
    ck_assert_str_eq(key, want);
    done(q, key);
}

static void expect_empty(kube_workqueue *q)
{
    const char *key = "unchanged";
    ck_assert_int_eq(kube_workqueue_try_get(q, &key), KUBE_WQ_EMPTY);
    ck_assert_ptr_null(key);
}

START_TEST(waiting_key_is_queued_once_in_fifo_order)
{
    kube_workqueue *q = new_queue(NULL);

    add(q, "ns/a");
    add(q, "ns/b");
    add(q, "ns/a");
    add(q, "ns/a");
    ck_assert_uint_eq(kube_workqueue_len(q), 2);
    expect_next(q, "ns/a");
    expect_next(q, "ns/b");
    expect_empty(q);
    ck_assert_uint_eq(kube_workqueue_len(q), 0);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(key_added_while_held_waits_for_done_then_runs_once)
{
    kube_workqueue *q = new_queue(NULL);
    const char *key;

    add(q, "ns/a");
    ck_assert_int_eq(kube_workqueue_get(q, &key), KUBE_WQ_OK);
    ck_assert_str_eq(key, "ns/a");
    add(q, "ns/a");
    add(q, "ns/a");
    /* Held: not handed to anyone else, not counted as ready. */
    ck_assert_uint_eq(kube_workqueue_len(q), 0);
    expect_empty(q);
    done(q, key);
    ck_assert_uint_eq(kube_workqueue_len(q), 1);
    expect_next(q, "ns/a");
    expect_empty(q);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(done_of_a_key_not_held_is_an_error)
{
    kube_workqueue *q = new_queue(NULL);
    util_err err = {{0}};

    ck_assert_int_lt(kube_workqueue_done(q, "ns/x", &err), 0);
    ck_assert_str_eq(err.msg, "workqueue: done('ns/x'): key is not being processed");
    add(q, "ns/x");
    ck_assert_int_lt(kube_workqueue_done(q, "ns/x", &err), 0); /* queued, not held */
    ck_assert_int_lt(kube_workqueue_add(q, "", &err), 0);
    ck_assert_str_eq(err.msg, "workqueue: empty key");
    kube_workqueue_free(q);
}
END_TEST

START_TEST(invalid_options_are_rejected)
{
    kube_workqueue_opts o = {.backoff_base_ns = 10 * MS, .backoff_max_ns = 1 * MS};
    kube_workqueue *q = (kube_workqueue *)&o;
    util_err err = {{0}};

    ck_assert_int_lt(kube_workqueue_new(&o, &q, &err), 0);
    ck_assert_ptr_null(q);
    ck_assert_msg(strstr(err.msg, "below base") != NULL, "%s", err.msg);
    kube_workqueue_free(NULL);
}
END_TEST

/* --- many workers, few keys ------------------------------------------------ */

#define NKEYS             8
#define NWORKERS          8
#define NPRODUCERS        4
#define ADDS_PER_PRODUCER 20000

typedef struct hammer {
    kube_workqueue *q;
    atomic_int in_flight[NKEYS];
    atomic_int violations;
    atomic_uint added_gen[NKEYS];     /* bumped before each add */
    atomic_uint processed_gen[NKEYS]; /* the gen a worker saw when it started */
    atomic_long processed;
    atomic_bool producing; /* workers re-add their own key only meanwhile */
} hammer;

static int key_index(const char *key)
{
    return atoi(key + strlen("ns/k"));
}

static void *hammer_worker(void *arg)
{
    hammer *h = arg;
    unsigned seed = (unsigned)(uintptr_t)&seed;
    const char *key;

    while (kube_workqueue_get(h->q, &key) == KUBE_WQ_OK) {
        int k = key_index(key);
        unsigned gen;

        if (atomic_fetch_add(&h->in_flight[k], 1) != 0)
            atomic_fetch_add(&h->violations, 1);
        gen = atomic_load(&h->added_gen[k]);
        if (atomic_load(&h->producing) && rand_r(&seed) % 4 == 0) {
            /* Re-adding the held key must only mark it dirty. */
            atomic_fetch_add(&h->added_gen[k], 1);
            if (kube_workqueue_add(h->q, key, NULL) != 0)
                atomic_fetch_add(&h->violations, 1);
        }
        if (rand_r(&seed) % 8 == 0)
            sched_yield();
        atomic_store(&h->processed_gen[k], gen);
        atomic_fetch_add(&h->processed, 1);
        atomic_fetch_sub(&h->in_flight[k], 1);
        if (kube_workqueue_done(h->q, key, NULL) != 0)
            atomic_fetch_add(&h->violations, 1);
    }
    return NULL;
}

static void *hammer_producer(void *arg)
{
    hammer *h = arg;
    unsigned seed = (unsigned)(uintptr_t)&seed;
    char key[16];
    int i;

    for (i = 0; i < ADDS_PER_PRODUCER; i++) {
        int k = (int)(rand_r(&seed) % NKEYS);
        snprintf(key, sizeof key, "ns/k%d", k);
        atomic_fetch_add(&h->added_gen[k], 1);
        if (kube_workqueue_add(h->q, key, NULL) != 0)
            atomic_fetch_add(&h->violations, 1);
    }
    return NULL;
}

/* Quiescent: no worker inside a key (checked first, so a worker that re-added
 * its key before leaving is seen by the generation check), and every add was
 * followed by a processing that started after it. */
static bool all_caught_up(hammer *h)
{
    int k;

    for (k = 0; k < NKEYS; k++)
        if (atomic_load(&h->in_flight[k]) != 0)
            return false;
    for (k = 0; k < NKEYS; k++)
        if (atomic_load(&h->processed_gen[k]) != atomic_load(&h->added_gen[k]))
            return false;
    return true;
}

START_TEST(no_key_is_processed_by_two_workers_and_no_add_is_lost)
{
    static hammer h;
    pthread_t workers[NWORKERS], producers[NPRODUCERS];
    struct timespec pause = {0, 1000000};
    int i, waited;

    memset(&h, 0, sizeof h);
    h.q = new_queue(NULL);
    atomic_store(&h.producing, true);
    for (i = 0; i < NWORKERS; i++)
        ck_assert_int_eq(pthread_create(&workers[i], NULL, hammer_worker, &h), 0);
    for (i = 0; i < NPRODUCERS; i++)
        ck_assert_int_eq(pthread_create(&producers[i], NULL, hammer_producer, &h), 0);
    for (i = 0; i < NPRODUCERS; i++)
        pthread_join(producers[i], NULL);
    atomic_store(&h.producing, false);
    for (waited = 0; !all_caught_up(&h) && waited < 10000; waited++)
        nanosleep(&pause, NULL);
    kube_workqueue_shutdown(h.q);
    for (i = 0; i < NWORKERS; i++)
        pthread_join(workers[i], NULL);

    ck_assert_int_eq(atomic_load(&h.violations), 0);
    ck_assert_msg(all_caught_up(&h), "an add was lost");
    ck_assert_int_gt(atomic_load(&h.processed), 0);
    ck_assert_uint_eq(kube_workqueue_len(h.q), 0);
    kube_workqueue_free(h.q);
}
END_TEST

/* --- delays on a fake clock ------------------------------------------------- */

START_TEST(delayed_keys_come_out_in_due_order_ties_in_add_order)
{
    fake_clock clk = {1000};
    kube_workqueue *q = new_fake_queue(&clk, (kube_workqueue_opts){0});

    add_after(q, "c", 30 * MS);
    add_after(q, "a", 10 * MS);
    add_after(q, "b", 20 * MS);
    add_after(q, "d", 20 * MS);
    add_after(q, "now", 0); /* no delay: ready at once */
    ck_assert_uint_eq(kube_workqueue_len(q), 1);
    expect_next(q, "now");
    expect_empty(q);
    atomic_store(&clk.t, 1000 + 10 * MS - 1);
    expect_empty(q);
    atomic_store(&clk.t, 1000 + 10 * MS);
    expect_next(q, "a");
    expect_empty(q);
    atomic_store(&clk.t, 1000 + 60 * MS); /* all of b, d, c are due together */
    ck_assert_uint_eq(kube_workqueue_len(q), 3);
    expect_next(q, "b");
    expect_next(q, "d");
    expect_next(q, "c");
    expect_empty(q);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(repeated_add_after_keeps_the_earliest_due_time)
{
    fake_clock clk = {0};
    kube_workqueue *q = new_fake_queue(&clk, (kube_workqueue_opts){0});

    add_after(q, "a", 50 * MS);
    add_after(q, "a", 10 * MS);
    add_after(q, "a", 100 * MS);
    atomic_store(&clk.t, 10 * MS - 1);
    expect_empty(q);
    atomic_store(&clk.t, 10 * MS);
    expect_next(q, "a");
    atomic_store(&clk.t, 200 * MS); /* the later due times were folded in */
    expect_empty(q);

    /* A delayed add of a key that is also waiting now does not run it twice
     * before the due time, and does run it again at the due time. */
    add(q, "b");
    add_after(q, "b", 5 * MS);
    expect_next(q, "b");
    expect_empty(q);
    atomic_store(&clk.t, 205 * MS);
    expect_next(q, "b");
    expect_empty(q);
    kube_workqueue_free(q);
}
END_TEST

/* Adds key rate-limited at the clock's current time and checks that it
 * becomes ready exactly want_delay later (and not a nanosecond before). */
static void expect_rate_limited_delay(kube_workqueue *q, fake_clock *clk, const char *key,
                                      uint64_t want_delay)
{
    uint64_t t0 = atomic_load(&clk->t);

    add_rl(q, key);
    atomic_store(&clk->t, t0 + want_delay - 1);
    expect_empty(q);
    atomic_store(&clk->t, t0 + want_delay);
    expect_next(q, key);
}

START_TEST(backoff_doubles_from_base_to_cap_exactly)
{
    fake_clock clk = {123};
    kube_workqueue *q = new_fake_queue(&clk, (kube_workqueue_opts){.qps = -1});
    uint64_t want = KUBE_WQ_DEFAULT_BACKOFF_BASE_NS;
    unsigned n;

    /* 5 ms, 10 ms, ... 655.36 s, then 1000 s forever. */
    for (n = 0; n < 25; n++) {
        expect_rate_limited_delay(q, &clk, "ns/a", want);
        ck_assert_uint_eq(kube_workqueue_num_requeues(q, "ns/a"), n + 1);
        want =
            want * 2 > KUBE_WQ_DEFAULT_BACKOFF_MAX_NS ? KUBE_WQ_DEFAULT_BACKOFF_MAX_NS : want * 2;
    }
    ck_assert_uint_eq(want, 1000 * SEC);
    /* Per key: another key starts from the base. */
    expect_rate_limited_delay(q, &clk, "ns/b", 5 * MS);
    ck_assert_uint_eq(kube_workqueue_num_requeues(q, "ns/b"), 1);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(backoff_base_and_cap_are_configurable)
{
    fake_clock clk = {0};
    kube_workqueue *q = new_fake_queue(
        &clk,
        (kube_workqueue_opts){.backoff_base_ns = 1 * MS, .backoff_max_ns = 6 * MS, .qps = -1});

    expect_rate_limited_delay(q, &clk, "k", 1 * MS);
    expect_rate_limited_delay(q, &clk, "k", 2 * MS);
    expect_rate_limited_delay(q, &clk, "k", 4 * MS);
    expect_rate_limited_delay(q, &clk, "k", 6 * MS);
    expect_rate_limited_delay(q, &clk, "k", 6 * MS);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(forget_resets_the_backoff)
{
    fake_clock clk = {0};
    kube_workqueue *q = new_fake_queue(&clk, (kube_workqueue_opts){.qps = -1});

    expect_rate_limited_delay(q, &clk, "k", 5 * MS);
    expect_rate_limited_delay(q, &clk, "k", 10 * MS);
    expect_rate_limited_delay(q, &clk, "k", 20 * MS);
    ck_assert_uint_eq(kube_workqueue_num_requeues(q, "k"), 3);
    kube_workqueue_forget(q, "k");
    ck_assert_uint_eq(kube_workqueue_num_requeues(q, "k"), 0);
    expect_rate_limited_delay(q, &clk, "k", 5 * MS);
    kube_workqueue_forget(q, "never-seen");
    ck_assert_uint_eq(kube_workqueue_num_requeues(q, "never-seen"), 0);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(token_bucket_allows_burst_then_qps)
{
    fake_clock clk = {0};
    /* A 1 ns backoff, so the bucket alone decides. */
    kube_workqueue *q = new_fake_queue(
        &clk,
        (kube_workqueue_opts){.backoff_base_ns = 1, .backoff_max_ns = 1, .qps = 10, .burst = 100});
    char key[32];
    int i;

    for (i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "burst-%d", i);
        add_rl(q, key);
    }
    add_rl(q, "over-1"); /* bucket empty: one token per 100 ms */
    add_rl(q, "over-2");
    atomic_store(&clk.t, 1);
    ck_assert_uint_eq(kube_workqueue_len(q), 100);
    for (i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "burst-%d", i);
        expect_next(q, key);
    }
    atomic_store(&clk.t, 100 * MS - 1);
    expect_empty(q);
    atomic_store(&clk.t, 100 * MS);
    expect_next(q, "over-1");
    atomic_store(&clk.t, 200 * MS);
    expect_next(q, "over-2");

    /* At 1 s the bucket has refilled 10 tokens, 2 of them owed: 8 free. */
    atomic_store(&clk.t, 1 * SEC);
    for (i = 0; i < 8; i++) {
        snprintf(key, sizeof key, "later-%d", i);
        add_rl(q, key);
    }
    add_rl(q, "later-over");
    atomic_store(&clk.t, 1 * SEC + 1);
    ck_assert_uint_eq(kube_workqueue_len(q), 8);
    for (i = 0; i < 8; i++) {
        snprintf(key, sizeof key, "later-%d", i);
        expect_next(q, key);
    }
    atomic_store(&clk.t, 1 * SEC + 100 * MS - 1);
    expect_empty(q);
    atomic_store(&clk.t, 1 * SEC + 100 * MS);
    expect_next(q, "later-over");
    kube_workqueue_free(q);
}
END_TEST

START_TEST(defaults_are_5ms_backoff_and_10qps_burst_100)
{
    fake_clock clk = {0};
    kube_workqueue *q = new_fake_queue(&clk, (kube_workqueue_opts){0});
    char key[32];
    int i;

    expect_rate_limited_delay(q, &clk, "k", 5 * MS);
    for (i = 0; i < 99; i++) { /* one token was taken above */
        snprintf(key, sizeof key, "k%d", i);
        add_rl(q, key);
    }
    add_rl(q, "last");
    atomic_store(&clk.t, atomic_load(&clk.t) + 5 * MS);
    ck_assert_uint_eq(kube_workqueue_len(q), 99);
    kube_workqueue_free(q);
}
END_TEST

/* --- blocking, wake-ups and shutdown on the real clock ---------------------- */

typedef struct getter {
    kube_workqueue *q;
    kube_wq_status st;
    char key[64]; /* the key got, or why done refused it */
    uint64_t ended;
} getter;

static uint64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static void *getter_main(void *arg)
{
    getter *g = arg;
    const char *key;
    util_err err = {{0}};

    g->st = kube_workqueue_get(g->q, &key);
    if (g->st == KUBE_WQ_OK) {
        snprintf(g->key, sizeof g->key, "%s", key);
        if (kube_workqueue_done(g->q, key, &err) != 0)
            snprintf(g->key, sizeof g->key, "done: %.50s", err.msg);
    }
    g->ended = real_now();
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(blocked_get_wakes_for_an_add_and_for_a_due_key)
{
    kube_workqueue *q = new_queue(NULL);
    getter g = {.q = q};
    pthread_t t;
    uint64_t t0;

    ck_assert_int_eq(pthread_create(&t, NULL, getter_main, &g), 0);
    sleep_ms(20);
    add(q, "ns/woken");
    pthread_join(t, NULL);
    ck_assert_int_eq(g.st, KUBE_WQ_OK);
    ck_assert_str_eq(g.key, "ns/woken");

    /* The getter first sleeps with nothing delayed; the add_after must cut
     * that sleep short to the due time. */
    t0 = real_now();
    ck_assert_int_eq(pthread_create(&t, NULL, getter_main, &g), 0);
    sleep_ms(10);
    add_after(q, "ns/later", 30 * MS);
    pthread_join(t, NULL);
    ck_assert_int_eq(g.st, KUBE_WQ_OK);
    ck_assert_str_eq(g.key, "ns/later");
    ck_assert_uint_ge(g.ended - t0, 40 * MS);
    ck_assert_uint_lt(g.ended - t0, 5 * SEC);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(shutdown_wakes_every_blocked_getter)
{
    kube_workqueue *q = new_queue(NULL);
    getter g[6];
    pthread_t t[6];
    int i;

    add_after(q, "ns/far", 3600 * SEC); /* some sleep timed, none should wait for it */
    for (i = 0; i < 6; i++) {
        g[i] = (getter){.q = q, .st = KUBE_WQ_OK};
        ck_assert_int_eq(pthread_create(&t[i], NULL, getter_main, &g[i]), 0);
    }
    sleep_ms(50);
    kube_workqueue_shutdown(q);
    for (i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(g[i].st, KUBE_WQ_SHUTDOWN);
    }
    kube_workqueue_free(q);
}
END_TEST

START_TEST(after_shutdown_adds_are_ignored_and_held_keys_still_finish)
{
    kube_workqueue *q = new_queue(NULL);
    const char *held, *key = "x";

    add(q, "ns/held");
    add(q, "ns/queued");
    ck_assert_int_eq(kube_workqueue_get(q, &held), KUBE_WQ_OK);
    kube_workqueue_shutdown(q);
    kube_workqueue_shutdown(q); /* idempotent */
    add(q, "ns/new");
    add_after(q, "ns/new", MS);
    add_rl(q, "ns/new");
    ck_assert_int_eq(kube_workqueue_get(q, &key), KUBE_WQ_SHUTDOWN);
    ck_assert_ptr_null(key);
    ck_assert_int_eq(kube_workqueue_try_get(q, &key), KUBE_WQ_SHUTDOWN);
    ck_assert_uint_eq(kube_workqueue_num_requeues(q, "ns/new"), 0);
    done(q, held);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(free_releases_keys_in_every_state)
{
    fake_clock clk = {0};
    kube_workqueue *q = new_fake_queue(&clk, (kube_workqueue_opts){0});
    const char *key;
    char name[32];
    int i;

    /* Enough keys to grow the hash table and the heap a few times. */
    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "ns/q%d", i);
        add(q, name);
        snprintf(name, sizeof name, "ns/d%d", i);
        add_after(q, name, (uint64_t)(1000 - i) * MS);
        snprintf(name, sizeof name, "ns/r%d", i);
        add_rl(q, name);
    }
    ck_assert_int_eq(kube_workqueue_try_get(q, &key), KUBE_WQ_OK);
    add(q, key); /* held and dirty */
    kube_workqueue_shutdown(q);
    done(q, key);
    kube_workqueue_free(q);
}
END_TEST

START_TEST(records_of_finished_keys_are_dropped)
{
    fake_clock clk = {0};
    kube_workqueue *q = new_fake_queue(&clk, (kube_workqueue_opts){0});
    char name[32];
    int round, i;

    /* Many distinct keys flow through; at the end none has state left, so
     * the queue must behave as new (this also exercises record removal from
     * hash chains in every position). */
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 500; i++) {
            snprintf(name, sizeof name, "ns/k%d-%d", round, i);
            add(q, name);
        }
        for (i = 0; i < 500; i++) {
            snprintf(name, sizeof name, "ns/k%d-%d", round, i);
            expect_next(q, name);
        }
    }
    expect_empty(q);
    ck_assert_uint_eq(kube_workqueue_len(q), 0);
    kube_workqueue_free(q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_workqueue");
    TCase *core = tcase_create("core");
    TCase *delays = tcase_create("delays");
    TCase *threads = tcase_create("threads");

    tcase_add_test(core, waiting_key_is_queued_once_in_fifo_order);
    tcase_add_test(core, key_added_while_held_waits_for_done_then_runs_once);
    tcase_add_test(core, done_of_a_key_not_held_is_an_error);
    tcase_add_test(core, invalid_options_are_rejected);
    tcase_add_test(core, free_releases_keys_in_every_state);
    tcase_add_test(core, records_of_finished_keys_are_dropped);
    suite_add_tcase(s, core);

    tcase_add_test(delays, delayed_keys_come_out_in_due_order_ties_in_add_order);
    tcase_add_test(delays, repeated_add_after_keeps_the_earliest_due_time);
    tcase_add_test(delays, backoff_doubles_from_base_to_cap_exactly);
    tcase_add_test(delays, backoff_base_and_cap_are_configurable);
    tcase_add_test(delays, forget_resets_the_backoff);
    tcase_add_test(delays, token_bucket_allows_burst_then_qps);
    tcase_add_test(delays, defaults_are_5ms_backoff_and_10qps_burst_100);
    suite_add_tcase(s, delays);

    tcase_set_timeout(threads, 60);
    tcase_add_test(threads, no_key_is_processed_by_two_workers_and_no_add_is_lost);
    tcase_add_test(threads, blocked_get_wakes_for_an_add_and_for_a_due_key);
    tcase_add_test(threads, shutdown_wakes_every_blocked_getter);
    tcase_add_test(threads, after_shutdown_adds_are_ignored_and_held_keys_still_finish);
    suite_add_tcase(s, threads);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
