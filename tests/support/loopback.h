/* TCP on 127.0.0.1 for tests: a listening socket on a free port, and a
 * client connection to one, each written once instead of in every test
 * that runs a scripted server or stalls a port. Failures end the test
 * (Check assertions). */
#ifndef BERTH_TESTS_LOOPBACK_H
#define BERTH_TESTS_LOOPBACK_H

/* A socket listening on 127.0.0.1 at a free port (with backlog), *port set;
 * close() it when done. */
int lo_listen(int backlog, int *port);

/* A socket connected to 127.0.0.1:port; close() it when done. */
int lo_connect(int port);

#endif
