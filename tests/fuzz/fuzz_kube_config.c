/* A kubeconfig is input berth does not control: whatever bytes it holds,
 * loading must either succeed or fail with a message, never crash, leak or
 * hang. Parsing runs from memory with no base directory, so relative paths
 * in the input fail fast instead of reading files; an exec credential
 * plugin is parsed but never run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kube/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kube_config *cfg = NULL, *copy = NULL;
    util_err err;
    char *tok = NULL;

    if (kube_config_load_buffer(data, size, "fuzz", NULL, NULL, &cfg, &err) != 0)
        return 0;
    /* Never with an exec plugin: that would run a command the input names. */
    if (cfg->exec == NULL && kube_config_token(cfg, &tok, &err) == 0)
        free(tok);
    if (kube_config_dup(cfg, &copy, &err) == 0)
        kube_config_free(copy);
    kube_config_free(cfg);
    return 0;
}
