/* The framing of pod port-forwarding over a WebSocket, as the kubelet's
 * streaming server speaks it behind the API server's pods/portforward
 * (WebSocket subprotocol "v4.channel.k8s.io"). Every binary message starts
 * with one byte naming its channel: for the i-th port of the request,
 * channel 2i carries its bytes both ways and channel 2i+1 the kubelet's
 * error text (connection refused inside the pod, say). The first two bytes
 * the server sends on each of its channels are the port number, little
 * endian; they are no data.
 *
 * berth asks for one port per WebSocket, so only channels 0 and 1 exist.
 * Pure: no I/O and no allocation. A fuzz target drives the parser. */
#ifndef BERTH_KUBE_PORTFORWARD_FRAME_H
#define BERTH_KUBE_PORTFORWARD_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* The WebSocket subprotocol to ask for. ("portforward.k8s.io" names the
 * SPDY protocol; the kubelet's WebSocket side accepts only this one, its
 * base64 variant, or none at all.) */
#define KUBE_PF_SUBPROTOCOL "v4.channel.k8s.io"

#define KUBE_PF_DATA_CHANNEL  0
#define KUBE_PF_ERROR_CHANNEL 1

/* Where the bytes given to kube_pf_parse sit in their WebSocket message.
 * A message may arrive in any number of pieces (the WebSocket library's
 * buffer, continuation frames); the channel byte is the first byte of the
 * whole message. */
#define KUBE_PF_FIRST 1u /* the bytes begin a message */
#define KUBE_PF_FINAL 2u /* the bytes end it */
#define KUBE_PF_TEXT  4u /* the message is a text message, not binary */

typedef enum kube_pf_kind {
    KUBE_PF_NONE,  /* nothing for the caller in these bytes */
    KUBE_PF_DATA,  /* bytes from the pod's port */
    KUBE_PF_ERROR, /* (part of) the kubelet's error text */
} kube_pf_kind;

/* What one call found. data points into the bytes given to that call. */
typedef struct kube_pf_piece {
    kube_pf_kind kind;
    const unsigned char *data; /* NULL when kind is KUBE_PF_NONE */
    size_t len;
} kube_pf_piece;

/* The state of one WebSocket's incoming side. Set up with
 * kube_pf_parser_init; the members are the parser's. */
typedef struct kube_pf_parser {
    uint16_t port;         /* the pod port that was asked for */
    bool in_message;       /* a message has begun and not yet ended */
    int channel;           /* of the message under way; -1 until its first byte */
    uint8_t prefix_len[2]; /* bytes of each channel's port number seen, 0..2 */
    uint8_t prefix[2][2];  /* those bytes */
    bool failed;           /* a refusal is final */
} kube_pf_parser;

void kube_pf_parser_init(kube_pf_parser *p, uint16_t port);

/* Takes the next len bytes of what the server sent, flags saying where
 * they sit in their message. On success *out tells what they held once
 * the channel byte and port number are stripped: at most one piece, since
 * one call's bytes belong to one message. Returns -1, with err naming the
 * fault, for a text message, a channel other than 0 or 1, a port number
 * other than the one asked for, a message without a channel byte or that
 * ends inside its channel's port number, and a message that begins before
 * the previous one ended (or bytes outside any message). A refusal is
 * final: every later call fails too. */
int kube_pf_parse(kube_pf_parser *p, const void *buf, size_t len, unsigned flags,
                  kube_pf_piece *out, util_err *err) UTIL_MUST_CHECK;

/* Writes the message carrying len bytes of payload to the pod's port into
 * frame (cap bytes): the data channel byte, then the payload, which may
 * already sit at frame + 1 (it is moved, not copied). Returns the
 * message's length, len + 1, or 0 when cap is too small. */
size_t kube_pf_encode(unsigned char *frame, size_t cap, const void *payload, size_t len);

#endif
