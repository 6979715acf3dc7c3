// A WASIp2 guest calling wasi:cli, wasi:io, wasi:clocks and wasi:random @0.2.12 directly
// (wit-bindgen c bindings, no libc stdio). argv[1] picks what it exercises:
//
//   env            args, environment, initial cwd, terminal queries, clocks, random
//   stdout         stdout/stderr through check-write + write + flush, blocking-write-and-flush,
//                  write-zeroes, blocking-write-zeroes-and-flush, blocking-flush
//   stdin          stdin through read, blocking-read, skip, blocking-skip and splice to stdout
//   poll N         poll over N pollables of which one is ready; then stream pollables
//   hello          prints one line and returns
//   prompt [stderr]  writes "name? " to stdout (or stderr) with check-write + write and no
//                  flush, reads a line from stdin, answers "hello, NAME" on stdout
//   exit-ok | exit-err | exit-code N | trap-empty-poll | trap-big-bwaf
//   write-unasked N  one `write` of N bytes to stdout without check-write, then a flush
//   faults         two blocking-write-and-flush calls to stdout, each result reported on stderr
//                  (for hosts whose stdout fails: a closed pipe, /dev/full)
//   bench-stdout MIB   writes MIB MiB to stdout in 4 KiB blocking-write-and-flush calls
//   bench-poll N ROUNDS   ROUNDS polls over N pollables, one ready
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

typedef wasi_io_streams_borrow_output_stream_t bout_t;
static wasi_io_streams_own_output_stream_t out, err_out;

// ---- output helpers: every line goes through blocking-write-and-flush in <=4096 chunks ----
static void write_all(wasi_io_streams_own_output_stream_t s, const uint8_t *p, size_t n) {
    while (n > 0) {
        size_t k = n > 4096 ? 4096 : n;
        guest_list_u8_t l = { (uint8_t *)p, k };
        wasi_io_streams_stream_error_t e;
        if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
                wasi_io_streams_borrow_output_stream(s), &l, &e)) {
            if (e.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
                wasi_io_error_error_drop_own(e.val.last_operation_failed);
            return;
        }
        p += k; n -= k;
    }
}
static char line[1024];
static size_t pos;
static void put_s(const char *s) { while (*s && pos < sizeof line) line[pos++] = *s++; }
static void put_n(const uint8_t *s, size_t n) { while (n-- && pos < sizeof line) line[pos++] = (char)*s++; }
static void put_u(unsigned long long v) {
    char t[24]; int i = 0;
    do { t[i++] = '0' + v % 10; v /= 10; } while (v);
    while (i && pos < sizeof line) line[pos++] = t[--i];
}
static void put_str(guest_string_t *s) { put_n(s->ptr, s->len); }
static void flush_line(void) { write_all(out, (const uint8_t *)line, pos); pos = 0; }
static void say(const char *s) { put_s(s); flush_line(); }
static int streq(guest_string_t *s, const char *c) { return s->len == strlen(c) && memcmp(s->ptr, c, s->len) == 0; }
static unsigned long long to_u(guest_string_t *s) {
    unsigned long long v = 0;
    for (size_t i = 0; i < s->len; i++) v = v * 10 + (s->ptr[i] - '0');
    return v;
}
static void drop_err(wasi_io_streams_stream_error_t *e) {
    if (e->tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
        wasi_io_error_error_drop_own(e->val.last_operation_failed);
}
static const char *err_name(wasi_io_streams_stream_error_t *e) {
    return e->tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED ? "closed" : "last-operation-failed";
}

static void do_env(guest_list_string_t *argv) {
    for (size_t i = 0; i < argv->len; i++) { put_s("arg: "); put_str(&argv->ptr[i]); put_s("\n"); }
    flush_line();
    guest_list_tuple2_string_string_t env;
    wasi_cli_environment_get_environment(&env);
    for (size_t i = 0; i < env.len; i++) {
        put_s("env: "); put_str(&env.ptr[i].f0); put_s("="); put_str(&env.ptr[i].f1); put_s("\n");
    }
    flush_line();
    guest_list_tuple2_string_string_free(&env);
    guest_string_t cwd;
    if (wasi_cli_environment_initial_cwd(&cwd)) { put_s("cwd: "); put_str(&cwd); put_s("\n"); guest_string_free(&cwd); }
    else put_s("cwd: none\n");
    wasi_cli_terminal_stdin_own_terminal_input_t ti;
    wasi_cli_terminal_stdout_own_terminal_output_t to;
    put_s("terminal stdin: ");
    if (wasi_cli_terminal_stdin_get_terminal_stdin(&ti)) { put_s("yes\n"); wasi_cli_terminal_input_terminal_input_drop_own(ti); } else put_s("no\n");
    put_s("terminal stdout: ");
    if (wasi_cli_terminal_stdout_get_terminal_stdout(&to)) { put_s("yes\n"); wasi_cli_terminal_output_terminal_output_drop_own(to); } else put_s("no\n");
    put_s("terminal stderr: ");
    if (wasi_cli_terminal_stderr_get_terminal_stderr(&to)) { put_s("yes\n"); wasi_cli_terminal_output_terminal_output_drop_own(to); } else put_s("no\n");
    flush_line();

    // clocks: monotonic never goes back; a 1ms subscription really waits; wall clock is after 2020
    uint64_t t0 = wasi_clocks_monotonic_clock_now();
    wasi_io_poll_own_pollable_t p = wasi_clocks_monotonic_clock_subscribe_duration(1000000);
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    wasi_io_poll_pollable_drop_own(p);
    uint64_t t1 = wasi_clocks_monotonic_clock_now();
    put_s("monotonic waited >= 1ms: "); put_s(t1 - t0 >= 1000000 ? "yes\n" : "no\n");
    p = wasi_clocks_monotonic_clock_subscribe_instant(t1 + 1000000);
    put_s("instant pollable ready at once: ");
    put_s(wasi_io_poll_method_pollable_ready(wasi_io_poll_borrow_pollable(p)) ? "yes\n" : "no\n");
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    put_s("instant reached: "); put_s(wasi_clocks_monotonic_clock_now() >= t1 + 1000000 ? "yes\n" : "no\n");
    wasi_io_poll_pollable_drop_own(p);
    p = wasi_clocks_monotonic_clock_subscribe_instant(0);
    put_s("past instant ready: ");
    put_s(wasi_io_poll_method_pollable_ready(wasi_io_poll_borrow_pollable(p)) ? "yes\n" : "no\n");
    wasi_io_poll_pollable_drop_own(p);
    put_s("monotonic resolution > 0: "); put_s(wasi_clocks_monotonic_clock_resolution() > 0 ? "yes\n" : "no\n");
    wasi_clocks_wall_clock_datetime_t now, res;
    wasi_clocks_wall_clock_now(&now);
    wasi_clocks_wall_clock_resolution(&res);
    put_s("wall clock after 2020: "); put_s(now.seconds > 1577836800ull ? "yes\n" : "no\n");
    put_s("wall resolution sane: "); put_s(res.seconds == 0 && res.nanoseconds > 0 ? "yes\n" : "no\n");
    flush_line();

    // random: lengths, and that 64 bytes are not all equal
    static const uint64_t sizes[] = { 0, 1, 7, 64, 4096, 100000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        guest_list_u8_t b;
        wasi_random_random_get_random_bytes(sizes[i], &b);
        put_s("random "); put_u(sizes[i]); put_s(" -> "); put_u(b.len); put_s("\n");
        guest_list_u8_free(&b);
        wasi_random_insecure_get_insecure_random_bytes(sizes[i], &b);
        put_s("insecure "); put_u(sizes[i]); put_s(" -> "); put_u(b.len); put_s("\n");
        guest_list_u8_free(&b);
    }
    guest_list_u8_t b;
    wasi_random_random_get_random_bytes(64, &b);
    int varied = 0;
    for (size_t i = 1; i < b.len; i++) varied |= b.ptr[i] != b.ptr[0];
    guest_list_u8_free(&b);
    put_s("random bytes vary: "); put_s(varied ? "yes\n" : "no\n");
    uint64_t a = wasi_random_random_get_random_u64(), c = wasi_random_random_get_random_u64();
    uint64_t d = wasi_random_insecure_get_insecure_random_u64(), e = wasi_random_insecure_get_insecure_random_u64();
    put_s("u64s differ: "); put_s(a != c && d != e ? "yes\n" : "no\n");
    guest_tuple2_u64_u64_t seed;
    wasi_random_insecure_seed_insecure_seed(&seed);
    put_s("seed: "); put_u(seed.f0); put_s(" "); put_u(seed.f1); put_s("\n");
    flush_line();
}

static void do_stdout(void) {
    bout_t o = wasi_io_streams_borrow_output_stream(out);
    wasi_io_streams_stream_error_t e;
    // check-write + write + flush, waiting on the stream's pollable
    static const char msg[] = "written with check-write/write/flush\n";
    uint64_t permit;
    wasi_io_poll_own_pollable_t p = wasi_io_streams_method_output_stream_subscribe(o);
    for (;;) {
        if (!wasi_io_streams_method_output_stream_check_write(o, &permit, &e)) { drop_err(&e); return; }
        if (permit >= sizeof msg - 1) break;
        wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    }
    guest_list_u8_t l = { (uint8_t *)msg, sizeof msg - 1 };
    if (!wasi_io_streams_method_output_stream_write(o, &l, &e)) { drop_err(&e); return; }
    if (!wasi_io_streams_method_output_stream_flush(o, &e)) { drop_err(&e); return; }
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    if (!wasi_io_streams_method_output_stream_check_write(o, &permit, &e)) { drop_err(&e); return; }
    wasi_io_poll_pollable_drop_own(p);
    say(permit > 0 ? "permit after flush: >0\n" : "permit after flush: 0\n");
    // write-zeroes within a permit, then blocking variants
    if (wasi_io_streams_method_output_stream_check_write(o, &permit, &e) && permit >= 3) {
        wasi_io_streams_method_output_stream_write_zeroes(o, 3, &e);
        wasi_io_streams_method_output_stream_blocking_flush(o, &e);
    }
    say("\n");
    wasi_io_streams_method_output_stream_blocking_write_zeroes_and_flush(o, 5, &e);
    say("\n");
    // a long line in many blocking-write-and-flush calls
    for (int i = 0; i < 100; i++) put_s("0123456789");
    put_s("\n");
    flush_line();
    // stderr interleaved
    static const char emsg[] = "to stderr\n";
    write_all(err_out, (const uint8_t *)emsg, sizeof emsg - 1);
    // a second stdout handle writes into the same ordered sink
    wasi_io_streams_own_output_stream_t out2 = wasi_cli_stdout_get_stdout();
    static const char m2[] = "from a second stdout handle\n";
    write_all(out2, (const uint8_t *)m2, sizeof m2 - 1);
    wasi_io_streams_output_stream_drop_own(out2);
    say("stdout done\n");
}

// A prompt the way interactive programs write one: no newline and no flush before waiting.
static void do_prompt(int to_stderr) {
    bout_t o = wasi_io_streams_borrow_output_stream(to_stderr ? err_out : out);
    wasi_io_streams_stream_error_t e;
    static const char msg[] = "name? ";
    uint64_t permit;
    wasi_io_poll_own_pollable_t p = wasi_io_streams_method_output_stream_subscribe(o);
    for (;;) {
        if (!wasi_io_streams_method_output_stream_check_write(o, &permit, &e)) { drop_err(&e); return; }
        if (permit >= sizeof msg - 1) break;
        wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    }
    wasi_io_poll_pollable_drop_own(p);
    guest_list_u8_t l = { (uint8_t *)msg, sizeof msg - 1 };
    if (!wasi_io_streams_method_output_stream_write(o, &l, &e)) { drop_err(&e); return; }
    wasi_io_streams_own_input_stream_t in = wasi_cli_stdin_get_stdin();
    wasi_io_streams_borrow_input_stream_t bi = wasi_io_streams_borrow_input_stream(in);
    static uint8_t name[256];
    size_t len = 0;
    while (len < sizeof name) {
        guest_list_u8_t b;
        if (!wasi_io_streams_method_input_stream_blocking_read(bi, 1, &b, &e)) { drop_err(&e); break; }
        int nl = b.len == 1 && b.ptr[0] == '\n';
        if (b.len == 1 && !nl) name[len++] = b.ptr[0];
        guest_list_u8_free(&b);
        if (nl) break;
    }
    wasi_io_streams_input_stream_drop_own(in);
    put_s("hello, "); put_n(name, len); put_s("\n"); flush_line();
}

static void do_stdin(void) {
    wasi_io_streams_own_input_stream_t in = wasi_cli_stdin_get_stdin();
    wasi_io_streams_borrow_input_stream_t bi = wasi_io_streams_borrow_input_stream(in);
    wasi_io_streams_stream_error_t e;
    guest_list_u8_t b;
    // read(0) is not a readiness probe: it returns an empty list
    if (wasi_io_streams_method_input_stream_read(bi, 0, &b, &e)) { put_s("read(0): "); put_u(b.len); put_s(" bytes\n"); guest_list_u8_free(&b); }
    else { put_s("read(0): "); put_s(err_name(&e)); put_s("\n"); drop_err(&e); }
    flush_line();
    // blocking-read of 5 bytes
    if (wasi_io_streams_method_input_stream_blocking_read(bi, 5, &b, &e)) { put_s("blocking-read: "); put_n(b.ptr, b.len); put_s("\n"); guest_list_u8_free(&b); }
    else { put_s("blocking-read: "); put_s(err_name(&e)); put_s("\n"); drop_err(&e); }
    flush_line();
    // skip 3 (after waiting for readiness), blocking-skip 2
    wasi_io_poll_own_pollable_t p = wasi_io_streams_method_input_stream_subscribe(bi);
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    wasi_io_poll_pollable_drop_own(p);
    uint64_t n;
    if (wasi_io_streams_method_input_stream_skip(bi, 3, &n, &e)) { put_s("skipped: "); put_u(n); put_s("\n"); } else drop_err(&e);
    if (wasi_io_streams_method_input_stream_blocking_skip(bi, 2, &n, &e)) { put_s("blocking-skipped: "); put_u(n); put_s("\n"); } else drop_err(&e);
    flush_line();
    // the rest through read (with pollables) and splice, until closed
    say("rest:\n");
    bout_t o = wasi_io_streams_borrow_output_stream(out);
    int use_splice = 0;
    for (;;) {
        uint64_t moved;
        if (use_splice == 1) {
            if (!wasi_io_streams_method_output_stream_blocking_splice(o, bi, 7, &moved, &e)) { put_s("\nend: "); put_s(err_name(&e)); put_s("\n"); drop_err(&e); break; }
        } else if (use_splice == 2) {
            // non-blocking splice after waiting for the input to be ready
            p = wasi_io_streams_method_input_stream_subscribe(bi);
            wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
            wasi_io_poll_pollable_drop_own(p);
            if (!wasi_io_streams_method_output_stream_splice(o, bi, 5, &moved, &e)) { put_s("\nend: "); put_s(err_name(&e)); put_s("\n"); drop_err(&e); break; }
        } else {
            p = wasi_io_streams_method_input_stream_subscribe(bi);
            wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
            wasi_io_poll_pollable_drop_own(p);
            if (!wasi_io_streams_method_input_stream_read(bi, 11, &b, &e)) { put_s("\nend: "); put_s(err_name(&e)); put_s("\n"); drop_err(&e); break; }
            write_all(out, b.ptr, b.len);
            guest_list_u8_free(&b);
        }
        use_splice = (use_splice + 1) % 3;
    }
    // after the end, a pollable on the closed stream is ready at once
    p = wasi_io_streams_method_input_stream_subscribe(bi);
    put_s("pollable on closed stream ready: ");
    put_s(wasi_io_poll_method_pollable_ready(wasi_io_poll_borrow_pollable(p)) ? "yes\n" : "no\n");
    wasi_io_poll_pollable_drop_own(p);
    if (wasi_io_streams_method_input_stream_read(bi, 10, &b, &e)) { put_s("read after end: data\n"); guest_list_u8_free(&b); }
    else { put_s("read after end: "); put_s(err_name(&e)); put_s("\n"); drop_err(&e); }
    flush_line();
    wasi_io_streams_input_stream_drop_own(in);
}

static void do_poll(size_t n, size_t rounds, int quiet) {
    wasi_io_poll_own_pollable_t *own = malloc(n * sizeof *own);
    wasi_io_poll_borrow_pollable_t *bor = malloc(n * sizeof *bor);
    for (size_t i = 0; i < n; i++) {
        // all far in the future but one
        own[i] = wasi_clocks_monotonic_clock_subscribe_duration(i == n / 2 ? 0 : 3600ull * 1000000000ull);
        bor[i] = wasi_io_poll_borrow_pollable(own[i]);
    }
    wasi_io_poll_list_borrow_pollable_t in = { bor, n };
    for (size_t r = 0; r < rounds; r++) {
        guest_list_u32_t ready;
        wasi_io_poll_poll(&in, &ready);
        if (!quiet) {
            put_s("poll over "); put_u(n); put_s(": ready");
            for (size_t i = 0; i < ready.len; i++) { put_s(" "); put_u(ready.ptr[i]); }
            put_s("\n"); flush_line();
        }
        guest_list_u32_free(&ready);
    }
    for (size_t i = 0; i < n; i++) wasi_io_poll_pollable_drop_own(own[i]);
    free(own); free(bor);
    if (quiet) return;
    // two pollables on the same stream agree; stdout is writable
    bout_t o = wasi_io_streams_borrow_output_stream(out);
    wasi_io_poll_own_pollable_t a = wasi_io_streams_method_output_stream_subscribe(o);
    wasi_io_poll_own_pollable_t b = wasi_io_streams_method_output_stream_subscribe(o);
    wasi_io_poll_borrow_pollable_t two[2] = { wasi_io_poll_borrow_pollable(a), wasi_io_poll_borrow_pollable(b) };
    wasi_io_poll_list_borrow_pollable_t in2 = { two, 2 };
    guest_list_u32_t ready;
    wasi_io_poll_poll(&in2, &ready);
    put_s("stdout pollables ready: "); put_u(ready.len); put_s("\n"); flush_line();
    guest_list_u32_free(&ready);
    wasi_io_poll_pollable_drop_own(a);
    wasi_io_poll_pollable_drop_own(b);
}

static void bench_stdout(unsigned long long mib) {
    static uint8_t chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    chunk[sizeof chunk - 1] = '\n';
    bout_t o = wasi_io_streams_borrow_output_stream(out);
    for (unsigned long long i = 0; i < mib * 256; i++) {
        guest_list_u8_t l = { chunk, sizeof chunk };
        wasi_io_streams_stream_error_t e;
        if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(o, &l, &e)) { drop_err(&e); return; }
    }
}

bool exports_wasi_cli_run_run(void) {
    out = wasi_cli_stdout_get_stdout();
    err_out = wasi_cli_stderr_get_stderr();
    guest_list_string_t argv;
    wasi_cli_environment_get_arguments(&argv);
    guest_string_t *mode = argv.len > 1 ? &argv.ptr[1] : NULL;
    unsigned long long arg2 = argv.len > 2 ? to_u(&argv.ptr[2]) : 0;
    unsigned long long arg3 = argv.len > 3 ? to_u(&argv.ptr[3]) : 0;
    bool ok = true;
    if (!mode || streq(mode, "env")) do_env(&argv);
    else if (streq(mode, "stdout")) do_stdout();
    else if (streq(mode, "stdin")) do_stdin();
    else if (streq(mode, "poll")) do_poll(arg2 ? arg2 : 1000, 1, 0);
    else if (streq(mode, "bench-stdout")) bench_stdout(arg2);
    else if (streq(mode, "bench-poll")) do_poll(arg2, arg3, 1);
    else if (streq(mode, "hello")) say("hello from p2\n");
    else if (streq(mode, "prompt")) do_prompt(argv.len > 2 && streq(&argv.ptr[2], "stderr"));
    else if (streq(mode, "exit-ok")) { say("exiting ok\n"); wasi_cli_exit_result_void_void_t st = { .is_err = false }; wasi_cli_exit_exit(&st); }
    else if (streq(mode, "exit-err")) { say("exiting with error\n"); wasi_cli_exit_result_void_void_t st = { .is_err = true }; wasi_cli_exit_exit(&st); }
    else if (streq(mode, "exit-code")) { say("exiting with code\n"); wasi_cli_exit_exit_with_code((uint8_t)arg2); }
    else if (streq(mode, "return-err")) { say("returning error\n"); ok = false; }
    else if (streq(mode, "trap-empty-poll")) {
        wasi_io_poll_list_borrow_pollable_t none = { NULL, 0 };
        guest_list_u32_t ready;
        wasi_io_poll_poll(&none, &ready);
    } else if (streq(mode, "faults")) {
        for (int i = 1; i <= 2; i++) {
            guest_list_u8_t l = { (uint8_t *)"x\n", 2 };
            wasi_io_streams_stream_error_t e;
            int ok1 = wasi_io_streams_method_output_stream_blocking_write_and_flush(
                wasi_io_streams_borrow_output_stream(out), &l, &e);
            const char *r = ok1 ? "ok" : err_name(&e);
            if (!ok1) drop_err(&e);
            put_s("stdout write "); put_u(i); put_s(": "); put_s(r); put_s("\n");
            write_all(err_out, (const uint8_t *)line, pos); pos = 0;
        }
    } else if (streq(mode, "write-unasked")) {
        // one `write` of N bytes without asking check-write first, then a flush
        bout_t o = wasi_io_streams_borrow_output_stream(out);
        wasi_io_streams_stream_error_t e;
        size_t n = (size_t)arg2;
        uint8_t *big = malloc(n);
        memset(big, 'w', n);
        guest_list_u8_t l = { big, n };
        int ok1 = wasi_io_streams_method_output_stream_write(o, &l, &e);
        if (!ok1) drop_err(&e);
        int ok2 = wasi_io_streams_method_output_stream_blocking_flush(o, &e);
        if (!ok2) drop_err(&e);
        free(big);
        put_s("\nwrite: "); put_s(ok1 ? "ok" : "error"); put_s(", flush: "); put_s(ok2 ? "ok\n" : "error\n");
        flush_line();
    } else if (streq(mode, "trap-big-bwaf")) {
        static uint8_t big[4097];
        guest_list_u8_t l = { big, sizeof big };
        wasi_io_streams_stream_error_t e;
        wasi_io_streams_method_output_stream_blocking_write_and_flush(wasi_io_streams_borrow_output_stream(out), &l, &e);
        say("not reached\n");
    } else { put_s("unknown mode "); put_str(mode); put_s("\n"); flush_line(); ok = false; }
    guest_list_string_free(&argv);
    wasi_io_streams_output_stream_drop_own(out);
    wasi_io_streams_output_stream_drop_own(err_out);
    return ok;
}
