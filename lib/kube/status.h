/* The API's account of a refused request: a Status object's code, reason and
 * message. It has a header of its own because both ends of the client meet
 * it: a failed call's body (client.h) and a watch stream's ERROR event
 * (watch_parse.h), and code that handles one usually handles the other. */
#ifndef BERTH_KUBE_STATUS_H
#define BERTH_KUBE_STATUS_H

#define KUBE_STATUS_MESSAGE_MAX 384

/* A watch's resourceVersion is too old (reason "Expired" or "Gone"): list
 * again, then watch from the list's resourceVersion. */
#define KUBE_STATUS_GONE 410

/* Strings are copies, NUL-terminated, cut to fit and kept on one line. */
typedef struct kube_status {
    int code;        /* HTTP status; 0 if no answer arrived or none was given */
    char reason[64]; /* e.g. "NotFound", "AlreadyExists", "Conflict", "Invalid" */
    char message[KUBE_STATUS_MESSAGE_MAX];
} kube_status;

#endif
