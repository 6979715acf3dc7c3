// A p2 wasi:http handler using wasi:config (`serve -S config`, `-S config-var`) and
// wasi:keyvalue (`-S keyvalue`, `-S keyvalue-in-memory-data`): every request is answered 200
// with what the extras command prints (../common/extras_report.h).
#include <stdint.h>
#include <string.h>
#include "guest.h"
#include "../common/extras_report.h"

static char buf[4096];
static size_t pos;
static void put_n(const uint8_t *p, size_t n) {
    if (n > sizeof buf - pos) n = sizeof buf - pos;
    memcpy(buf + pos, p, n); pos += n;
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t req,
    exports_wasi_http_incoming_handler_own_response_outparam_t outparam) {
    wasi_http_types_incoming_request_drop_own(req);
    pos = 0;
    extras_report(put_n);
    wasi_http_types_own_outgoing_response_t resp =
        wasi_http_types_constructor_outgoing_response(wasi_http_types_constructor_fields());
    wasi_http_types_own_outgoing_body_t body;
    wasi_http_types_method_outgoing_response_body(wasi_http_types_borrow_outgoing_response(resp), &body);
    wasi_http_types_result_own_outgoing_response_error_code_t res = { .is_err = false };
    res.val.ok = resp;
    wasi_http_types_static_response_outparam_set(outparam, &res);
    wasi_http_types_own_output_stream_t stream;
    wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(body), &stream);
    guest_list_u8_t l = { (uint8_t *)buf, pos };
    wasi_io_streams_stream_error_t e;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
            wasi_io_streams_borrow_output_stream(stream), &l, &e)
        && e.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
        wasi_io_error_error_drop_own(e.val.last_operation_failed);
    wasi_io_streams_output_stream_drop_own(stream);
    wasi_http_types_error_code_t err;
    wasi_http_types_static_outgoing_body_finish(body, NULL, &err);
}
