/* One kubectl-berth command run in-process against the scripted API
 * server (api_script.h), as the plugin's unit tests run `health` and
 * `drain-plan`: the context main.c would make, and the command's exit
 * status with what it wrote on stderr. */
#ifndef BERTH_TEST_PLUGIN_CMD_H
#define BERTH_TEST_PLUGIN_CMD_H

#include <stddef.h>

#include "plugin/plugin.h"
#include "support/api_script.h"

typedef struct plugin_cmd {
    api_script *api; /* script its answers here */
    char server[64];
    kube_config cfg;
    pl_options opts;
    pl_ctx ctx; /* namespace "default" */
} plugin_cmd;

/* Starts the scripted API server and fills p for command (its name, as
 * messages say it). */
void plugin_cmd_start(plugin_cmd *p, const char *command);

void plugin_cmd_stop(plugin_cmd *p);

/* Runs run with the one argument arg (NULL: none); returns its exit
 * status, and what it wrote on stderr in err. */
int plugin_cmd_run(plugin_cmd *p, int (*run)(const pl_ctx *, int, char **), const char *arg,
                   char *err, size_t size);

#endif
