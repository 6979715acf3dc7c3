// A mixed component: imports wasi:cli/stdout@0.2.12 (+ wasi:io) and wasi:cli/stdout@0.3.0, and
// exports both wasi:cli/run@0.2.12 and wasi:cli/run@0.3.0, like real wasm32-wasip3 programs.
// Through run@0.3.0 it alternates p2 and p3 writes to stdout; they must come out in call order.
// With the argument `prompt [stderr]` it writes "name? " through a p3 stdout (or stderr) stream
// left open, reads a line through p2 stdin, and answers "hello, NAME" through p2 stdout.
#include <stdint.h>
#include <string.h>
#include "guest.h"

static guest_waitable_set_t ws;
static wasi_cli_0_3_0_stdout_stream_u8_writer_t p3_out;
static wasi_io_streams_own_output_stream_t p2_out;

static uint32_t wait_on(uint32_t w) {
    guest_event_t ev;
    guest_waitable_join(w, ws);
    do { guest_waitable_set_wait(ws, &ev); } while (ev.waitable != w);
    guest_waitable_join(w, 0);
    return ev.code;
}

static void p3_say(const char *s) {
    const uint8_t *p = (const uint8_t *)s;
    size_t n = strlen(s);
    while (n > 0) {
        guest_waitable_status_t st = wasi_cli_0_3_0_stdout_stream_u8_write(p3_out, p, n);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(p3_out);
        size_t done = GUEST_WAITABLE_COUNT(st);
        p += done; n -= done;
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) return;
    }
}

static void p2_say(const char *s) {
    guest_list_u8_t l = { (uint8_t *)s, strlen(s) };
    wasi_io_streams_stream_error_t e;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
            wasi_io_streams_borrow_output_stream(p2_out), &l, &e)) {
        if (e.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
            wasi_io_error_error_drop_own(e.val.last_operation_failed);
    }
}

static void p2_say_n(const uint8_t *p, size_t n) {
    guest_list_u8_t l = { (uint8_t *)p, n };
    wasi_io_streams_stream_error_t e;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
            wasi_io_streams_borrow_output_stream(p2_out), &l, &e)) {
        if (e.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
            wasi_io_error_error_drop_own(e.val.last_operation_failed);
    }
}

static int arg_is(guest_list_string_t *a, size_t i, const char *c) {
    return a->len > i && a->ptr[i].len == strlen(c) && memcmp(a->ptr[i].ptr, c, a->ptr[i].len) == 0;
}

static void prompt(int to_stderr) {
    wasi_cli_0_3_0_stdout_stream_u8_writer_t err_w = 0;
    wasi_cli_0_3_0_stderr_future_result_void_error_code_t err_done = 0;
    if (to_stderr) {
        wasi_cli_0_3_0_stdout_stream_u8_t err_r = wasi_cli_0_3_0_stdout_stream_u8_new(&err_w);
        err_done = wasi_cli_0_3_0_stderr_write_via_stream(err_r);
        wasi_cli_0_3_0_stdout_stream_u8_writer_t keep = p3_out;
        p3_out = err_w;
        p3_say("name? ");
        p3_out = keep;
    } else {
        p3_say("name? ");
    }
    wasi_io_streams_own_input_stream_t in = wasi_cli_0_2_12_stdin_get_stdin();
    static uint8_t name[256];
    size_t len = 0;
    while (len < sizeof name) {
        guest_list_u8_t b;
        wasi_io_streams_stream_error_t e;
        if (!wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(in), 1, &b, &e)) {
            if (e.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
                wasi_io_error_error_drop_own(e.val.last_operation_failed);
            break;
        }
        int nl = b.len == 1 && b.ptr[0] == '\n';
        if (b.len == 1 && !nl) name[len++] = b.ptr[0];
        guest_list_u8_free(&b);
        if (nl) break;
    }
    wasi_io_streams_input_stream_drop_own(in);
    p2_say("hello, ");
    p2_say_n(name, len);
    p2_say("\n");
    if (to_stderr) {
        wasi_cli_0_3_0_stdout_stream_u8_drop_writable(err_w);
        wasi_cli_0_3_0_stderr_result_void_error_code_t r;
        if (wasi_cli_0_3_0_stderr_future_result_void_error_code_read(err_done, &r) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(err_done);
        wasi_cli_0_3_0_stderr_future_result_void_error_code_drop_readable(err_done);
    }
}

bool exports_wasi_cli_0_2_12_run_run(void) {
    p2_out = wasi_cli_0_2_12_stdout_get_stdout();
    p2_say("entered through run@0.2.12\n");
    wasi_io_streams_output_stream_drop_own(p2_out);
    return true;
}

guest_callback_code_t exports_wasi_cli_0_3_0_run_run(void) {
    ws = guest_waitable_set_new();
    wasi_cli_0_3_0_stdout_stream_u8_t r = wasi_cli_0_3_0_stdout_stream_u8_new(&p3_out);
    wasi_cli_0_3_0_stdout_future_result_void_error_code_t done = wasi_cli_0_3_0_stdout_write_via_stream(r);
    p2_out = wasi_cli_0_2_12_stdout_get_stdout();

    guest_list_string_t args;
    wasi_cli_0_3_0_environment_get_arguments(&args);
    int prompting = arg_is(&args, 1, "prompt");
    if (prompting) prompt(arg_is(&args, 2, "stderr"));
    guest_list_string_free(&args);
    if (prompting) goto done;

    p3_say("entered through run@0.3.0\n");
    for (int i = 0; i < 3; i++) {
        p3_say("p3 line\n");
        p2_say("p2 line\n");
    }
    // both ABIs see the same arguments
    guest_list_string_t a2, a3;
    wasi_cli_0_2_12_environment_get_arguments(&a2);
    wasi_cli_0_3_0_environment_get_arguments(&a3);
    int same = a2.len == a3.len;
    for (size_t i = 0; same && i < a2.len; i++)
        same = a2.ptr[i].len == a3.ptr[i].len && memcmp(a2.ptr[i].ptr, a3.ptr[i].ptr, a2.ptr[i].len) == 0;
    for (size_t i = 0; i < a2.len; i++) { p2_say("arg: "); p2_say_n(a2.ptr[i].ptr, a2.ptr[i].len); p2_say("\n"); }
    p3_say(same ? "p2 and p3 arguments agree\n" : "p2 and p3 arguments differ\n");
    guest_list_string_free(&a2);
    guest_list_string_free(&a3);

done:
    wasi_io_streams_output_stream_drop_own(p2_out);
    wasi_cli_0_3_0_stdout_stream_u8_drop_writable(p3_out);
    wasi_cli_0_3_0_stdout_result_void_error_code_t res;
    if (wasi_cli_0_3_0_stdout_future_result_void_error_code_read(done, &res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(done);
    wasi_cli_0_3_0_stdout_future_result_void_error_code_drop_readable(done);
    guest_waitable_set_drop(ws);
    exports_wasi_cli_0_3_0_run_run_return((exports_wasi_cli_0_3_0_run_result_void_void_t){ .is_err = false });
    return GUEST_CALLBACK_CODE_EXIT;
}

// Not reached: run() never returns GUEST_CALLBACK_CODE_WAIT.
guest_callback_code_t exports_wasi_cli_0_3_0_run_run_callback(guest_event_t *event) {
    (void)event;
    return GUEST_CALLBACK_CODE_EXIT;
}
