/* The plumbing on run's side of the drain hook (drain.h): the printf
 * helper engines use for progress, the status members every engine
 * reports, and the placeholder engine. */
#include <stdarg.h>
#include <stdio.h>

#include "engine/drain.h"

int sc_drain_progress(sc_drain_call *call, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return call->progress(call, line);
}

void sc_drain_status_common(cJSON *obj, bool drain_started, bool restored, bool ready_latched,
                            long restarts, const char *last_restart, const char *last_error)
{
    cJSON_AddBoolToObject(obj, "drainStarted", drain_started);
    cJSON_AddBoolToObject(obj, "restored", restored);
    cJSON_AddBoolToObject(obj, "readyLatched", ready_latched);
    cJSON_AddNumberToObject(obj, "restarts", (double)restarts);
    cJSON_AddStringToObject(obj, "lastRestart", last_restart);
    cJSON_AddStringToObject(obj, "lastError", last_error);
}

int sc_drain_not_implemented(sc_drain_call *call, void *user, util_err *err)
{
    (void)user;
    sc_drain_progress(call, "broker %d: no drain engine in this build", call->broker_id);
    return util_err_set(err, "drain is not implemented in this build");
}
