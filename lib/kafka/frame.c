/* Request and response framing; see frame.h. */
#include "kafka/frame.h"

#include "kafka/proto.h"

void kafka_header_versions(int16_t api_key, int flexible, int *request_version,
                           int *response_version)
{
    *request_version = flexible ? 2 : 1;
    *response_version = flexible && api_key != KAFKA_API_API_VERSIONS ? 1 : 0;
}

size_t kafka_frame_begin(kafka_writer *w)
{
    size_t start = w->len;

    kafka_put_i32(w, 0);
    return start;
}

void kafka_frame_end(kafka_writer *w, size_t start)
{
    size_t body;

    if (w->failure != NULL)
        return;
    if (start > w->len || w->len - start < 4) {
        kafka_writer_fail(w, "frame end without a frame begin");
        return;
    }
    body = w->len - start - 4;
    if (body > INT32_MAX) {
        kafka_writer_fail(w, "frame larger than 2^31-1 bytes");
        return;
    }
    kafka_put_i32_at(w, start, (int32_t)body);
}

void kafka_put_request_header(kafka_writer *w, int header_version, const kafka_request_header *h)
{
    if (header_version != 1 && header_version != 2) {
        kafka_writer_fail(w, "request header version must be 1 or 2");
        return;
    }
    kafka_put_i16(w, h->api_key);
    kafka_put_i16(w, h->api_version);
    kafka_put_i32(w, h->correlation_id);
    kafka_put_string(w, h->client_id);
    if (header_version == 2)
        kafka_put_empty_tags(w);
}

int kafka_read_response_header(kafka_reader *r, int header_version, int32_t *correlation_id)
{
    *correlation_id = 0;
    if (header_version != 0 && header_version != 1)
        return kafka_reader_fail(r, "response header", "version %d unknown", header_version);
    kafka_reader_enter(r, "response_header", -1);
    kafka_read_i32(r, "correlation_id", correlation_id);
    if (header_version == 1)
        kafka_read_skip_tags(r, "tagged_fields");
    kafka_reader_leave(r);
    return kafka_reader_status(r);
}

int kafka_frame_size(const unsigned char prefix[4], size_t max, size_t *size, util_err *err)
{
    uint32_t u = (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 | (uint32_t)prefix[2] << 8 |
                 prefix[3];

    *size = 0;
    if (u > INT32_MAX)
        return util_err_set(err, "frame size prefix is negative (0x%08lx)", (unsigned long)u);
    if (u > max)
        return util_err_set(err, "frame of %lu bytes exceeds the limit of %zu bytes",
                            (unsigned long)u, max);
    *size = u;
    return 0;
}
