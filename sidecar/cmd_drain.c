/* berth-sidecar drain: the preStop drain client, for people. It is the very
 * program the broker container's preStop hook runs (sidecar/drainclient/,
 * built alone as the static build/berth-drain), compiled in here from the
 * same sources so the two can never disagree about the wire contract: same
 * options, same output, same exit codes. */
#include "cmd.h"

#define main sc_drainclient_main
#include "drainclient/berth-drain.c"
#undef main
#include "drainclient/drain_response.c"

int sc_cmd_drain(int argc, char **argv)
{
    return sc_drainclient_main(argc, argv);
}
