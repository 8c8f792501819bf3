/* Port-forwarding's WebSocket framing; see portforward_frame.h.
 *
 * The parser treats each channel as a byte stream whose first two bytes
 * are the port number, and each message as a channel byte followed by
 * more of its channel's stream, however the WebSocket library cut the
 * message into calls. The kubelet writes the port number as a message of
 * its own, so a message that ends with the number half sent is a broken
 * server or something that is not the kubelet: refused, as is anything
 * else the protocol does not allow. */
#include "kube/portforward_frame.h"

#include <string.h>

void kube_pf_parser_init(kube_pf_parser *p, uint16_t port)
{
    memset(p, 0, sizeof *p);
    p->port = port;
    p->channel = -1;
}

/* Makes a refusal final; rc is util_err_set's -1, out is emptied. */
static int refused(kube_pf_parser *p, kube_pf_piece *out, int rc)
{
    p->failed = true;
    memset(out, 0, sizeof *out);
    return rc;
}

int kube_pf_parse(kube_pf_parser *p, const void *buf, size_t len, unsigned flags,
                  kube_pf_piece *out, util_err *err)
{
    const unsigned char *b = buf;
    unsigned ch;

    memset(out, 0, sizeof *out);
    if (p->failed)
        return util_err_set(err, "port-forward stream already refused");
    if (flags & KUBE_PF_FIRST) {
        if (p->in_message)
            return refused(p, out,
                           util_err_set(err, "a message began before the previous one ended"));
        p->in_message = true;
        p->channel = -1;
    } else if (!p->in_message) {
        return refused(p, out, util_err_set(err, "bytes outside any message"));
    }
    if (flags & KUBE_PF_TEXT)
        return refused(p, out,
                       util_err_set(err, "text message: port-forwarding sends binary messages "
                                         "(" KUBE_PF_SUBPROTOCOL ")"));
    if (p->channel < 0 && len > 0) {
        if (b[0] > KUBE_PF_ERROR_CHANNEL)
            return refused(p, out,
                           util_err_set(err,
                                        "message on channel %u: one port has only channels 0 "
                                        "(data) and 1 (error)",
                                        b[0]));
        p->channel = b[0];
        b++;
        len--;
    }
    if (p->channel >= 0) {
        ch = (unsigned)p->channel;
        while (p->prefix_len[ch] < 2 && len > 0) {
            p->prefix[ch][p->prefix_len[ch]++] = *b++;
            len--;
            if (p->prefix_len[ch] == 2) {
                unsigned port = p->prefix[ch][0] | (unsigned)p->prefix[ch][1] << 8;

                if (port != p->port)
                    return refused(p, out,
                                   util_err_set(err,
                                                "channel %u names port %u, not the port %u "
                                                "asked for",
                                                ch, port, (unsigned)p->port));
            }
        }
        if (len > 0) {
            out->kind = ch == KUBE_PF_DATA_CHANNEL ? KUBE_PF_DATA : KUBE_PF_ERROR;
            out->data = b;
            out->len = len;
        }
    }
    if (flags & KUBE_PF_FINAL) {
        if (p->channel < 0)
            return refused(p, out, util_err_set(err, "empty message: no channel byte"));
        if (p->prefix_len[p->channel] < 2)
            return refused(p, out,
                           util_err_set(err,
                                        "short message: channel %d ended inside its 2-byte "
                                        "port number",
                                        p->channel));
        p->in_message = false;
        p->channel = -1;
    }
    return 0;
}

size_t kube_pf_encode(unsigned char *frame, size_t cap, const void *payload, size_t len)
{
    if (cap == 0 || len > cap - 1)
        return 0;
    if (len > 0)
        memmove(frame + 1, payload, len);
    frame[0] = KUBE_PF_DATA_CHANNEL;
    return len + 1;
}
