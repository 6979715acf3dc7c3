// A component exporting wasi:cli/run@0.2.12 beside wasi:http/handler@0.3.0 (as the WASI
// testsuite's http service tests are built): `run` prints a line through p2 stdout; `handle`
// answers every request with "mixed: PATH\n" through p3 streams.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

static guest_waitable_set_t ws;

static uint32_t wait_on(uint32_t w) {
    guest_event_t ev;
    guest_waitable_join(w, ws);
    do { guest_waitable_set_wait(ws, &ev); } while (ev.waitable != w);
    guest_waitable_join(w, 0);
    return ev.code;
}

bool exports_wasi_cli_0_2_12_run_run(void) {
    wasi_cli_0_2_12_stdout_own_output_stream_t out = wasi_cli_0_2_12_stdout_get_stdout();
    static const char msg[] = "mixed run\n";
    guest_list_u8_t l = { (uint8_t *)msg, sizeof msg - 1 };
    wasi_io_streams_stream_error_t e;
    bool ok = wasi_io_streams_method_output_stream_blocking_write_and_flush(
        wasi_io_streams_borrow_output_stream(out), &l, &e);
    wasi_io_streams_output_stream_drop_own(out);
    return ok;
}

guest_callback_code_t exports_wasi_http_0_3_0_handler_handle(exports_wasi_http_0_3_0_handler_own_request_t req) {
    ws = guest_waitable_set_new();
    guest_string_t path = { 0 };
    wasi_http_0_3_0_types_method_request_get_path_with_query(wasi_http_0_3_0_types_borrow_request(req), &path);
    wasi_http_0_3_0_types_request_drop_own(req);
    wasi_http_0_3_0_types_stream_u8_writer_t body;
    wasi_http_0_3_0_types_stream_u8_t contents = wasi_http_0_3_0_types_stream_u8_new(&body);
    wasi_http_0_3_0_types_future_result_option_own_trailers_error_code_writer_t tw;
    wasi_http_0_3_0_types_future_result_option_own_trailers_error_code_t tr =
        wasi_http_0_3_0_types_future_result_option_own_trailers_error_code_new(&tw);
    wasi_http_0_3_0_types_tuple2_own_response_future_result_void_error_code_t made;
    wasi_http_0_3_0_types_static_response_new(wasi_http_0_3_0_types_constructor_fields(), &contents, tr, &made);
    exports_wasi_http_0_3_0_handler_result_own_response_error_code_t ret = { .is_err = false };
    ret.val.ok = made.f0;
    exports_wasi_http_0_3_0_handler_handle_return(ret);
    char line[600];
    size_t n = 0;
    memcpy(line, "mixed: ", 7); n = 7;
    for (size_t i = 0; i < path.len && n < sizeof line - 1; i++) line[n++] = path.ptr[i];
    line[n++] = '\n';
    const uint8_t *p = (const uint8_t *)line;
    while (n > 0) {
        guest_waitable_status_t st = wasi_http_0_3_0_types_stream_u8_write(body, p, n);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(body);
        size_t k = GUEST_WAITABLE_COUNT(st);
        p += k; n -= k;
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) break;
    }
    wasi_http_0_3_0_types_stream_u8_drop_writable(body);
    wasi_http_0_3_0_types_result_option_own_trailers_error_code_t none = { .is_err = false };
    if (wasi_http_0_3_0_types_future_result_option_own_trailers_error_code_write(tw, &none) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(tw);
    wasi_http_0_3_0_types_future_result_option_own_trailers_error_code_drop_writable(tw);
    wasi_http_0_3_0_types_result_void_error_code_t res;
    if (wasi_http_0_3_0_types_future_result_void_error_code_read(made.f1, &res) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(made.f1);
    wasi_http_0_3_0_types_future_result_void_error_code_drop_readable(made.f1);
    guest_string_free(&path);
    guest_waitable_set_drop(ws);
    return GUEST_CALLBACK_CODE_EXIT;
}

guest_callback_code_t exports_wasi_http_0_3_0_handler_handle_callback(guest_event_t *event) {
    (void)event;
    return GUEST_CALLBACK_CODE_EXIT;
}
