/* Reading the Java properties files the sidecar renders (Kafka's
 * server.properties), for the tests that check what it wrote. */
#ifndef BERTH_TESTS_PROPS_H
#define BERTH_TESTS_PROPS_H

#include <stddef.h>

/* The value of the line "key=value" in properties text, copied into buf
 * (cut to size) and returned; "" when no line has that key. */
const char *props_get(const char *text, const char *key, char *buf, size_t size);

#endif
