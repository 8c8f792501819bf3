/* The operator's defaults (see options.h). */
#include "options.h"

#define DAY_S 86400LL

const op_cert_policy op_cert_policy_default = {3650 * DAY_S, 365 * DAY_S, 30 * DAY_S};
