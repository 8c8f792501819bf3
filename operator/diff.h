/* Whether an owned object needs a write: the fields berth sets (the desired
 * object) compared with what the server holds. Only berth's own fields are
 * compared, so whatever the server or other controllers add (defaults,
 * clusterIP, status, managedFields) never counts as a difference; a no-op
 * resync therefore sends no write at all, not even an apply that would
 * change nothing. Pure. */
#ifndef BERTH_OP_DIFF_H
#define BERTH_OP_DIFF_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* True when every field of want is in have with an equal value: objects
 * member by member (extra members in have are fine), arrays item by item
 * with equal lengths, scalars equal. Inside resource requests and limits,
 * strings compare as Kubernetes quantities ("1000m" equals "1"), since the
 * server normalises the quantities it stores. A Secret the cache keeps as
 * a summary (secret_summary.h) compares each data value with its stub. */
bool op_subset(const cJSON *want, const cJSON *have);

#endif
