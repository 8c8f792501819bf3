/* See plugin_cmd.h. */
#include "support/plugin_cmd.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void plugin_cmd_start(plugin_cmd *p, const char *command)
{
    memset(p, 0, sizeof *p);
    p->api = api_script_start();
    api_script_url(p->api, p->server, sizeof p->server);
    p->cfg.source = (char *)"test";
    p->cfg.namespace = (char *)"default";
    p->cfg.server = p->server;
    p->ctx = (pl_ctx){.opts = &p->opts,
                      .cfg = &p->cfg,
                      .client = api_script_kube_client(p->api),
                      .namespace = "default",
                      .command = command};
}

void plugin_cmd_stop(plugin_cmd *p)
{
    kube_client_free(p->ctx.client);
    api_script_stop(p->api);
}

int plugin_cmd_run(plugin_cmd *p, int (*run)(const pl_ctx *, int, char **), const char *arg,
                   char *err, size_t size)
{
    char *argv[] = {(char *)arg, NULL};
    FILE *tmp = tmpfile();
    int saved = dup(2), rc;
    size_t n;

    ck_assert_ptr_nonnull(tmp);
    fflush(stderr);
    dup2(fileno(tmp), 2);
    rc = run(&p->ctx, arg != NULL, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    n = fread(err, 1, size - 1, tmp);
    err[n] = '\0';
    fclose(tmp);
    return rc;
}
