#include "cmd.h"
int sc_cmd_status(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 1;
}
