// A WASIp2 guest calling wasi:filesystem@0.2.12 directly (wit-bindgen c). argv[1] picks:
//
//   edge          p2-only operations and bad input under the first preopen: pread/pwrite
//                 (`read`/`write`) with huge lengths and offsets, paths with NUL, streams at
//                 huge offsets, `filesystem-error-code` of a failed stream, directory entries
//                 one at a time, pre-1970 timestamps
//   bench-read F      read file F to the end through read-via-stream, 64 KiB reads
//   bench-write F MIB write MIB MiB to F through write-via-stream, 64 KiB writes
//   bench-readdir D   count the entries of directory D
//   bench-stat F N    stat-at F N times not following symlinks, then N times following
//   realloc-recurses  an attack on the host: readlink-at of `lnk` with a cabi_realloc that
//                     recurses without end (../common/recursing_realloc.h)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "../common/recursing_realloc.h"

typedef wasi_filesystem_types_borrow_descriptor_t bdesc;
typedef wasi_filesystem_types_own_descriptor_t odesc;
static wasi_io_streams_own_output_stream_t out;

static void say_n(const uint8_t *p, size_t n) {
    while (n > 0) {
        size_t k = n > 4096 ? 4096 : n;
        guest_list_u8_t l = { (uint8_t *)p, k };
        wasi_io_streams_stream_error_t e;
        if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
                wasi_io_streams_borrow_output_stream(out), &l, &e)) return;
        p += k; n -= k;
    }
}
static void say(const char *s) { say_n((const uint8_t *)s, strlen(s)); }
static void say_u(unsigned long long v) {
    char t[24]; int i = 23; t[i] = 0;
    do { t[--i] = '0' + v % 10; v /= 10; } while (v);
    say(t + i);
}
static guest_string_t S(const char *s) { guest_string_t r; guest_string_set(&r, s); return r; }
static guest_string_t SN(const char *s, size_t n) { guest_string_t r = { (uint8_t *)s, n }; return r; }
static void err(const char *what, wasi_filesystem_types_error_code_t e) { say(what); say(": error "); say_u(e); say("\n"); }

static bool open_at(bdesc dir, guest_string_t path, const char *label, uint8_t oflags, uint8_t flags, odesc *out_fd) {
    wasi_filesystem_types_error_code_t e;
    if (wasi_filesystem_types_method_descriptor_open_at(dir, 0, &path, oflags, flags, out_fd, &e)) {
        say("open-at "); say(label); say(": ok\n");
        return true;
    }
    err(label, e);
    return false;
}

static void edge(bdesc root) {
    const uint8_t RW = WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ | WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE;
    odesc f;
    if (!open_at(root, S("e.txt"), "e.txt", WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE, RW, &f)) return;
    bdesc bf = wasi_filesystem_types_borrow_descriptor(f);
    wasi_filesystem_types_error_code_t e;
    wasi_filesystem_types_filesize_t n;
    guest_list_u8_t data = { (uint8_t *)"0123456789", 10 };
    if (wasi_filesystem_types_method_descriptor_write(bf, &data, 3, &n, &e)) { say("write at 3: "); say_u(n); say("\n"); } else err("write at 3", e);
    if (wasi_filesystem_types_method_descriptor_write(bf, &data, UINT64_MAX - 2, &n, &e)) { say("write at u64::MAX-2: "); say_u(n); say("\n"); } else err("write at u64::MAX-2", e);
    if (wasi_filesystem_types_method_descriptor_write(bf, &data, 0x8000000000000000ull, &n, &e)) { say("write at 2^63: "); say_u(n); say("\n"); } else err("write at 2^63", e);
    guest_tuple2_list_u8_bool_t r;
    if (wasi_filesystem_types_method_descriptor_read(bf, 4, 5, &r, &e)) {
        say("read 4 at 5: ["); say_n(r.f0.ptr, r.f0.len); say(r.f1 ? "] eof\n" : "]\n"); guest_list_u8_free(&r.f0);
    } else err("read 4 at 5", e);
    if (wasi_filesystem_types_method_descriptor_read(bf, UINT64_MAX, 0, &r, &e)) {
        say("read u64::MAX at 0: "); say_u(r.f0.len); say(r.f1 ? " bytes, eof\n" : " bytes\n"); guest_list_u8_free(&r.f0);
    } else err("read u64::MAX at 0", e);
    if (wasi_filesystem_types_method_descriptor_read(bf, 16, UINT64_MAX, &r, &e)) {
        say("read at u64::MAX: "); say_u(r.f0.len); say(r.f1 ? " bytes, eof\n" : " bytes\n"); guest_list_u8_free(&r.f0);
    } else err("read at u64::MAX", e);
    if (wasi_filesystem_types_method_descriptor_read(bf, 16, 1000, &r, &e)) {
        say("read past end: "); say_u(r.f0.len); say(r.f1 ? " bytes, eof\n" : " bytes\n"); guest_list_u8_free(&r.f0);
    } else err("read past end", e);
    // streams at odd offsets
    wasi_io_streams_own_input_stream_t in;
    if (wasi_filesystem_types_method_descriptor_read_via_stream(bf, UINT64_MAX, &in, &e)) {
        guest_list_u8_t b; wasi_io_streams_stream_error_t se;
        if (wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(in), 100000000, &b, &se)) {
            say("stream read at u64::MAX: "); say_u(b.len); say(" bytes\n"); guest_list_u8_free(&b);
        } else if (se.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) say("stream read at u64::MAX: closed\n");
        else {
            wasi_filesystem_types_error_code_t code;
            say("stream read at u64::MAX: failed, filesystem-error-code ");
            if (wasi_filesystem_types_filesystem_error_code(wasi_io_error_borrow_error(se.val.last_operation_failed), &code)) say_u(code); else say("none");
            say("\n");
            wasi_io_error_error_drop_own(se.val.last_operation_failed);
        }
        wasi_io_streams_input_stream_drop_own(in);
    } else err("read-via-stream at u64::MAX", e);
    if (wasi_filesystem_types_method_descriptor_read_via_stream(bf, 0, &in, &e)) {
        guest_list_u8_t b; wasi_io_streams_stream_error_t se;
        if (wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(in), UINT64_MAX, &b, &se)) {
            say("stream read u64::MAX bytes: ["); say_n(b.ptr, b.len); say("]\n"); guest_list_u8_free(&b);
        }
        wasi_io_streams_input_stream_drop_own(in);
    }
    // writing through a stream on a descriptor opened read-only fails on the write
    odesc ro;
    if (open_at(root, S("e.txt"), "e.txt read-only", 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &ro)) {
        wasi_io_streams_own_output_stream_t os;
        if (wasi_filesystem_types_method_descriptor_write_via_stream(wasi_filesystem_types_borrow_descriptor(ro), 0, &os, &e)) {
            guest_list_u8_t l = { (uint8_t *)"x", 1 };
            wasi_io_streams_stream_error_t se;
            bool ok = wasi_io_streams_method_output_stream_blocking_write_and_flush(wasi_io_streams_borrow_output_stream(os), &l, &se);
            if (!ok && se.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED) {
                wasi_filesystem_types_error_code_t code;
                say("write to read-only descriptor: filesystem-error-code ");
                if (wasi_filesystem_types_filesystem_error_code(wasi_io_error_borrow_error(se.val.last_operation_failed), &code)) say_u(code); else say("none");
                say("\n");
                guest_string_t dbg;
                wasi_io_error_method_error_to_debug_string(wasi_io_error_borrow_error(se.val.last_operation_failed), &dbg);
                say(dbg.len > 0 ? "error to-debug-string: non-empty\n" : "error to-debug-string: empty\n");
                guest_string_free(&dbg);
                wasi_io_error_error_drop_own(se.val.last_operation_failed);
            } else say(ok ? "write to read-only descriptor: ok\n" : "write to read-only descriptor: closed\n");
            wasi_io_streams_output_stream_drop_own(os);
        } else err("write-via-stream on read-only", e);
        wasi_filesystem_types_descriptor_drop_own(ro);
    }
    // pre-1970 timestamps read back as none in p2
    wasi_filesystem_types_new_timestamp_t keep = { .tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NO_CHANGE };
    wasi_filesystem_types_new_timestamp_t big = { .tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_TIMESTAMP };
    big.val.timestamp.seconds = UINT64_MAX; big.val.timestamp.nanoseconds = 0;
    if (wasi_filesystem_types_method_descriptor_set_times(bf, &keep, &big, &e)) say("set-times u64::MAX: ok\n"); else err("set-times u64::MAX", e);
    big.val.timestamp.seconds = 5; big.val.timestamp.nanoseconds = 2000000000u;
    if (wasi_filesystem_types_method_descriptor_set_times(bf, &keep, &big, &e)) say("set-times 2e9 ns: ok\n"); else err("set-times 2e9 ns", e);
    wasi_filesystem_types_descriptor_stat_t st;
    if (wasi_filesystem_types_method_descriptor_stat(bf, &st, &e)) {
        say("stat: type "); say_u(st.type); say(" size "); say_u(st.size);
        say(st.data_modification_timestamp.is_some ? " mtime some\n" : " mtime none\n");
    } else err("stat", e);
    wasi_filesystem_types_descriptor_flags_t fl;
    if (wasi_filesystem_types_method_descriptor_get_flags(bf, &fl, &e)) { say("get-flags: "); say_u(fl); say("\n"); }
    wasi_filesystem_types_descriptor_drop_own(f);
    // paths with NUL, absolute, escaping, empty
    if (open_at(root, SN("a\0b", 3), "path with NUL", 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at(root, S("/e.txt"), "absolute path", 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at(root, S("sub/../../e.txt"), "escaping path", 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at(root, S(""), "empty path", 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at(root, S("."), "dot for write", 0, RW, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    wasi_filesystem_types_descriptor_stat_t st2;
    guest_string_t nul = SN("e.txt\0", 6);
    if (wasi_filesystem_types_method_descriptor_stat_at(root, 0, &nul, &st2, &e)) say("stat-at with NUL: ok\n"); else err("stat-at with NUL", e);
    // directory entries one at a time
    wasi_filesystem_types_own_directory_entry_stream_t ds;
    if (wasi_filesystem_types_method_descriptor_read_directory(root, &ds, &e)) {
        wasi_filesystem_types_option_directory_entry_t ent;
        size_t count = 0;
        while (wasi_filesystem_types_method_directory_entry_stream_read_directory_entry(
                   wasi_filesystem_types_borrow_directory_entry_stream(ds), &ent, &e) && ent.is_some) {
            count++;
            guest_string_free(&ent.val.name);
        }
        say("entries: "); say_u(count); say("\n");
        // reading after the end stays at the end
        if (wasi_filesystem_types_method_directory_entry_stream_read_directory_entry(
                wasi_filesystem_types_borrow_directory_entry_stream(ds), &ent, &e))
            say(ent.is_some ? "after end: entry\n" : "after end: none\n");
        wasi_filesystem_types_directory_entry_stream_drop_own(ds);
    }
    odesc sub;
    if (open_at(root, S("e.txt"), "e.txt", 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &sub)) {
        if (!wasi_filesystem_types_method_descriptor_read_directory(wasi_filesystem_types_borrow_descriptor(sub), &ds, &e)) err("read-directory on a file", e);
        else wasi_filesystem_types_directory_entry_stream_drop_own(ds);
        wasi_filesystem_types_descriptor_drop_own(sub);
    }
}

static void bench_read(bdesc root, const char *path) {
    odesc f;
    wasi_filesystem_types_error_code_t e;
    guest_string_t p = S(path);
    if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &p, 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &f, &e)) { err("open", e); return; }
    wasi_io_streams_own_input_stream_t in;
    if (!wasi_filesystem_types_method_descriptor_read_via_stream(wasi_filesystem_types_borrow_descriptor(f), 0, &in, &e)) { err("read-via-stream", e); return; }
    unsigned long long total = 0;
    for (;;) {
        guest_list_u8_t b; wasi_io_streams_stream_error_t se;
        if (!wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(in), 65536, &b, &se)) break;
        total += b.len;
        guest_list_u8_free(&b);
    }
    wasi_io_streams_input_stream_drop_own(in);
    wasi_filesystem_types_descriptor_drop_own(f);
    say("read "); say_u(total); say(" bytes\n");
}

static void bench_write(bdesc root, const char *path, unsigned long long mib) {
    odesc f;
    wasi_filesystem_types_error_code_t e;
    guest_string_t p = S(path);
    if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &p, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE | WASI_FILESYSTEM_TYPES_OPEN_FLAGS_TRUNCATE,
            WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE, &f, &e)) { err("open", e); return; }
    wasi_io_streams_own_output_stream_t os;
    if (!wasi_filesystem_types_method_descriptor_write_via_stream(wasi_filesystem_types_borrow_descriptor(f), 0, &os, &e)) { err("write-via-stream", e); return; }
    wasi_io_streams_borrow_output_stream_t bo = wasi_io_streams_borrow_output_stream(os);
    static uint8_t chunk[65536];
    memset(chunk, 'w', sizeof chunk);
    wasi_io_poll_own_pollable_t pl = wasi_io_streams_method_output_stream_subscribe(bo);
    unsigned long long left = mib << 20;
    while (left > 0) {
        uint64_t permit; wasi_io_streams_stream_error_t se;
        if (!wasi_io_streams_method_output_stream_check_write(bo, &permit, &se)) break;
        if (permit == 0) { wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(pl)); continue; }
        size_t k = left < sizeof chunk ? left : sizeof chunk;
        if (k > permit) k = permit;
        guest_list_u8_t l = { chunk, k };
        if (!wasi_io_streams_method_output_stream_write(bo, &l, &se)) break;
        left -= k;
    }
    wasi_io_streams_stream_error_t se;
    wasi_io_streams_method_output_stream_blocking_flush(bo, &se);
    wasi_io_poll_pollable_drop_own(pl);
    wasi_io_streams_output_stream_drop_own(os);
    wasi_filesystem_types_descriptor_drop_own(f);
    say("wrote "); say_u((mib << 20) - left); say(" bytes\n");
}

static void bench_readdir(bdesc root, const char *path) {
    odesc d;
    wasi_filesystem_types_error_code_t e;
    guest_string_t p = S(path);
    if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &p, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_DIRECTORY, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &d, &e)) { err("open", e); return; }
    wasi_filesystem_types_own_directory_entry_stream_t ds;
    if (!wasi_filesystem_types_method_descriptor_read_directory(wasi_filesystem_types_borrow_descriptor(d), &ds, &e)) { err("read-directory", e); return; }
    wasi_filesystem_types_option_directory_entry_t ent;
    unsigned long long count = 0;
    while (wasi_filesystem_types_method_directory_entry_stream_read_directory_entry(
               wasi_filesystem_types_borrow_directory_entry_stream(ds), &ent, &e) && ent.is_some) {
        count++;
        guest_string_free(&ent.val.name);
    }
    wasi_filesystem_types_directory_entry_stream_drop_own(ds);
    wasi_filesystem_types_descriptor_drop_own(d);
    say("entries: "); say_u(count); say("\n");
}

static void bench_stat(bdesc root, const char *path, unsigned long long n) {
    guest_string_t p = S(path);
    wasi_filesystem_types_descriptor_stat_t st;
    wasi_filesystem_types_error_code_t e;
    unsigned long long ok = 0;
    for (int follow = 0; follow < 2; follow++)
        for (unsigned long long i = 0; i < n; i++)
            ok += wasi_filesystem_types_method_descriptor_stat_at(root, follow, &p, &st, &e);
    say("stat ok: "); say_u(ok); say("\n");
}

static char *cstr(guest_string_t *s) {
    char *c = malloc(s->len + 1);
    memcpy(c, s->ptr, s->len); c[s->len] = 0;
    return c;
}

bool exports_wasi_cli_run_run(void) {
    out = wasi_cli_stdout_get_stdout();
    guest_list_string_t argv;
    wasi_cli_environment_get_arguments(&argv);
    char *mode = argv.len > 1 ? cstr(&argv.ptr[1]) : "edge";
    char *a2 = argv.len > 2 ? cstr(&argv.ptr[2]) : "";
    unsigned long long a3 = 0;
    if (argv.len > 3) for (size_t i = 0; i < argv.ptr[3].len; i++) a3 = a3 * 10 + (argv.ptr[3].ptr[i] - '0');
    wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t pre;
    wasi_filesystem_preopens_get_directories(&pre);
    if (pre.len == 0) { say("no preopens\n"); return false; }
    bdesc root = wasi_filesystem_types_borrow_descriptor(pre.ptr[0].f0);
    if (!strcmp(mode, "edge")) edge(root);
    else if (!strcmp(mode, "bench-read")) bench_read(root, a2);
    else if (!strcmp(mode, "bench-write")) bench_write(root, a2, a3);
    else if (!strcmp(mode, "bench-readdir")) bench_readdir(root, a2);
    else if (!strcmp(mode, "bench-stat")) bench_stat(root, a2, a3);
    else if (!strcmp(mode, "realloc-recurses")) {
        // The host lowers readlink-at's string: the guest's cabi_realloc recurses until the
        // engine's stack limit traps (../common/recursing_realloc.h). Not reached past it.
        guest_string_t p = S("lnk"), target;
        wasi_filesystem_types_error_code_t e;
        realloc_recurses = 1;
        wasi_filesystem_types_method_descriptor_readlink_at(root, &p, &target, &e);
        realloc_recurses = 0;
        say("the realloc returned\n");
    }
    for (size_t i = 0; i < pre.len; i++) wasi_filesystem_types_descriptor_drop_own(pre.ptr[i].f0);
    wasi_io_streams_output_stream_drop_own(out);
    return true;
}
