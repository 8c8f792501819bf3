/* What an exec credential plugin prints is input berth does not control:
 * whatever the bytes, parsing the ExecCredential must succeed or fail with
 * a message, never crash or leak. */
#include <stddef.h>
#include <stdint.h>

#include "kube/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kube_exec_credential cred;
    util_err err;

    if (kube_exec_credential_parse(data, size, KUBE_EXEC_V1, &cred, &err) == 0)
        kube_exec_credential_clear(&cred);
    return 0;
}
