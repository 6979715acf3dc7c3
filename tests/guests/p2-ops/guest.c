// The WASIp2 op-program interpreter (wasi:*@0.2.12 through `wit-bindgen c`): reads a program
// from stdin (encoding: ../ops/vocab.h) and runs it — filesystem calls on the preopens and the
// descriptors it opens, their byte streams, pollables, clocks and random — printing one
// canonical line per call. The fuzz targets `p2_ops` and `sandbox` and `tests/ops.rs` run it
// under wasmtime-wasi 48 and under wasi-bridge and compare.
//
// `ops hostile MODE N` runs a hostile workload instead (tests/hostile.rs measures the host):
//   poll N           one `poll` over N borrows of a clock pollable
//   descriptors N    opens `a` N times, keeping every descriptor, until the host refuses
//   readdir D        reads directory D to its end in one go, counting the entries
//   long-path N      stat-at / open-at / create-directory-at with an N-byte path ("d/d/…")
//                    and an N-byte single name
//   never-drain N    read-via-stream on file `big`, waits until it is readable N times over
//                    a few milliseconds, never reading
//   over-permit N    write-via-stream on new file `w`: check-write, then one write of N bytes
//                    (far over the permit), then blocking-flush
//   zero-read 0      blocking-read(0), then blocking-read(5), on a stream of file `a`
//   no-stdio N       for a guest given no stdio: read, blocking-read, skip, blocking-skip of N
//                    bytes from stdin; check-write, write-zeroes(N), blocking-flush,
//                    blocking-write-zeroes-and-flush(N) on stdout; the line so far goes to
//                    the file `report` after each call
//
// Non-blocking stream calls first wait for the stream's pollable, so a line does not depend on
// when a host's background work finishes (wasmtime-wasi's file streams read and write on
// blocking threads; what a non-blocking call sees before that is timing, not behaviour).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "../ops/vocab.h"

typedef wasi_filesystem_types_borrow_descriptor_t bdesc;
typedef wasi_filesystem_types_own_descriptor_t odesc;
typedef wasi_filesystem_types_error_code_t ecode;
typedef wasi_io_streams_stream_error_t serr;

#define NDESC 8
#define NSTREAM 4
#define NPOLL 8
static odesc desc[NDESC]; static bool desc_ok[NDESC];
static wasi_io_streams_own_input_stream_t ins[NSTREAM]; static bool in_ok[NSTREAM];
static wasi_io_streams_own_output_stream_t outs[NSTREAM]; static bool out_ok[NSTREAM];
static wasi_io_poll_own_pollable_t polls[NPOLL]; static bool poll_ok[NPOLL];
static wasi_io_streams_own_output_stream_t out;

static void emit(void) {
    line[line_len++] = '\n';
    guest_list_u8_t l = { (uint8_t *)line, line_len };
    serr e;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
            wasi_io_streams_borrow_output_stream(out), &l, &e)) __builtin_trap();
    line_len = 0;
}
static void fs_err(ecode e) { put(" err "); put_u(e); }
static void stream_err(serr *e) {
    if (e->tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) { put(" closed"); return; }
    ecode code;
    put(" failed ");
    if (wasi_filesystem_types_filesystem_error_code(wasi_io_error_borrow_error(e->val.last_operation_failed), &code)) put_u(code);
    else put("none");
    wasi_io_error_error_drop_own(e->val.last_operation_failed);
}
static guest_string_t path_arg(void) {
    size_t n; const char *p = path_of(next(), &n);
    guest_string_t s = { (uint8_t *)p, n };
    put(" '"); put_esc((const uint8_t *)p, n > 12 ? 12 : n); put("'");
    return s;
}
// The (b mod count)-th slot in use, so every byte names something while anything is open.
static int slot_in_use(bool *ok, int n, uint8_t b) {
    int count = 0;
    for (int i = 0; i < n; i++) count += ok[i];
    if (count == 0) return -1;
    for (int i = 0, k = b % count; i < n; i++) if (ok[i] && k-- == 0) return i;
    return -1;
}
static int free_slot(bool *ok, int n) { for (int i = 0; i < n; i++) if (!ok[i]) return i; return -1; }
static void put_type(wasi_filesystem_types_descriptor_type_t t) {
    static const char *const T[] = {"unknown", "block", "char", "dir", "fifo", "symlink", "file", "socket"};
    put(t < 8 ? T[t] : "?");
}
static void put_stat(wasi_filesystem_types_descriptor_stat_t *st) {
    put(" ok "); put_type(st->type);
    // Directory sizes are the file system's business; links count hard links the test made.
    if (st->type != WASI_FILESYSTEM_TYPES_DESCRIPTOR_TYPE_DIRECTORY) { put(" size "); put_u(st->size); }
    put(" links "); put_u(st->link_count);
}
static void wait_pollable(wasi_io_poll_own_pollable_t p) {
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    wasi_io_poll_pollable_drop_own(p);
}
static void wait_in(int s) { wait_pollable(wasi_io_streams_method_input_stream_subscribe(wasi_io_streams_borrow_input_stream(ins[s]))); }
static void wait_out(int s) { wait_pollable(wasi_io_streams_method_output_stream_subscribe(wasi_io_streams_borrow_output_stream(outs[s]))); }

// An output stream is flushed before it is dropped: wasmtime-wasi 48 aborts a file write
// still waiting for its blocking thread when the stream goes, so whether unflushed bytes land
// there is timing (wasi-bridge's have always landed).
static void flush_out(int s) {
    serr se;
    if (!wasi_io_streams_method_output_stream_blocking_flush(wasi_io_streams_borrow_output_stream(outs[s]), &se)
        && se.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
        wasi_io_error_error_drop_own(se.val.last_operation_failed);
}

static int cmp_entry(const void *a, const void *b) {
    const wasi_filesystem_types_directory_entry_t *x = a, *y = b;
    size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
    int c = memcmp(x->name.ptr, y->name.ptr, n);
    return c ? c : (int)x->name.len - (int)y->name.len;
}

// Reads from an input stream until `want` bytes (capped), the end or an error.
static void stream_read(int s, uint64_t want, bool blocking, bool skip) {
    // wasmtime-wasi 48 reads zero bytes for a blocking-read(0) of a file, takes that for the
    // end and closes the stream; wasi-bridge returns nothing and keeps it open (README,
    // deliberate differences; tests/ops.rs). Programs do not ask for it.
    if (blocking && want == 0) { put(" skipped"); return; }
    uint64_t cap = want > READ_CAP ? READ_CAP : want, got = 0;
    uint32_t h = FNV0;
    serr e; bool failed = false;
    for (int tries = 0; got < cap || (want == 0 && tries == 0); tries++) {
        if (tries > 10000) break;
        if (!blocking) wait_in(s);
        bool ok;
        if (skip) {
            uint64_t n;
            ok = blocking ? wasi_io_streams_method_input_stream_blocking_skip(wasi_io_streams_borrow_input_stream(ins[s]), cap - got, &n, &e)
                          : wasi_io_streams_method_input_stream_skip(wasi_io_streams_borrow_input_stream(ins[s]), cap - got, &n, &e);
            if (ok) got += n;
        } else {
            guest_list_u8_t b;
            ok = blocking ? wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(ins[s]), cap - got, &b, &e)
                          : wasi_io_streams_method_input_stream_read(wasi_io_streams_borrow_input_stream(ins[s]), cap - got, &b, &e);
            if (ok) { if (b.len > cap - got) { put(" over-read "); put_u(b.len); } h = fnv(h, b.ptr, b.len); got += b.len; guest_list_u8_free(&b); }
        }
        if (!ok) { failed = true; break; }
        if (want == 0) break;
    }
    put(" ok "); put_u(got); if (!skip) { put(" "); put_hex(h); }
    if (failed) stream_err(&e);
}

// Before anything that may change a file's contents, open input streams are dropped: a host
// may hold bytes it read ahead (wasmtime-wasi reads 4 KiB when a stream is waited on), so what
// a stream gives after the file changes under it is buffering, not behaviour.
static void close_inputs(void) {
    for (int i = 0; i < NSTREAM; i++) if (in_ok[i]) { wasi_io_streams_input_stream_drop_own(ins[i]); in_ok[i] = false; }
}

static void op(int idx) {
    uint8_t code = next() % 40;
    static const char *const NAMES[] = {
        "open-at", "drop", "read", "write", "stat", "stat-at", "readdir", "rename-at", "unlink-file-at", "remove-directory-at",
        "create-directory-at", "symlink-at", "link-at", "set-size", "sync", "readlink-at", "read-via-stream", "write-via-stream", "append-via-stream", "in.read",
        "in.blocking-read", "in.skip", "in.blocking-skip", "out.check-write", "out.write", "out.flush", "out.blocking-flush", "out.blocking-write-and-flush", "out.write-zeroes", "out.splice",
        "in.subscribe", "out.subscribe", "poll", "drop-stream", "clock.subscribe", "random", "get-type", "is-same-object", "set-times", "advise",
    };
    put_u(idx); put(" "); put(NAMES[code]);
    switch (code) { case 0: case 3: case 13: case 24: case 27: case 28: case 29: close_inputs(); }
    ecode e;
    int d = -1, d2 = -1;
    // Descriptor arguments: a slot in use, or the op reports "no-desc".
    #define DESC(var) do { var = slot_in_use(desc_ok, NDESC, next()); if (var < 0) { put(" no-desc"); return; } put(" d"); put_u(var); } while (0)
    #define B(i) wasi_filesystem_types_borrow_descriptor(desc[i])
    switch (code) {
    case 0: { // open-at DIR FOLLOW PATH OFLAGS FLAGS
        DESC(d);
        uint8_t follow = next() & 1; guest_string_t p = path_arg();
        uint8_t of = next() & 15, fl = next() & 0x3f;
        int s = free_slot(desc_ok, NDESC);
        odesc nd;
        if (s < 0) { put(" full"); return; }
        if (wasi_filesystem_types_method_descriptor_open_at(B(d), follow, &p, of, fl, &nd, &e)) {
            desc[s] = nd; desc_ok[s] = true; put(" ok d"); put_u(s);
        } else fs_err(e);
        return;
    }
    case 1: DESC(d); if (d < 2) { put(" keep"); return; } wasi_filesystem_types_descriptor_drop_own(desc[d]); desc_ok[d] = false; put(" ok"); return;
    case 2: { // read D LEN OFF
        DESC(d); uint64_t len = size_of_(next()), off = offset_of(next());
        uint64_t cap = len > READ_CAP ? READ_CAP : len, got = 0; uint32_t h = FNV0; bool eof = false;
        for (;;) {
            guest_tuple2_list_u8_bool_t r;
            if (!wasi_filesystem_types_method_descriptor_read(B(d), cap - got, off + got, &r, &e)) {
                if (got == 0) { fs_err(e); return; }
                break;
            }
            h = fnv(h, r.f0.ptr, r.f0.len); got += r.f0.len; eof = r.f1;
            size_t n = r.f0.len; guest_list_u8_free(&r.f0);
            if (eof || n == 0 || got >= cap) break;
        }
        put(" ok "); put_u(got); put(" "); put_hex(h); put(eof ? " eof" : "");
        return;
    }
    case 3: { // write D LEN OFF
        DESC(d); uint64_t len = size_of_(next()), off = offset_of(next());
        guest_list_u8_t l = { pattern(len), len > WRITE_CAP ? WRITE_CAP : len };
        uint64_t total = 0;
        while (total < l.len) {
            wasi_filesystem_types_filesize_t n;
            guest_list_u8_t rest = { l.ptr + total, l.len - total };
            if (!wasi_filesystem_types_method_descriptor_write(B(d), &rest, off + total, &n, &e)) {
                if (total == 0) { fs_err(e); return; }
                break;
            }
            if (n == 0) break;
            total += n;
        }
        put(" ok "); put_u(total);
        return;
    }
    case 4: { DESC(d); wasi_filesystem_types_descriptor_stat_t st;
        if (wasi_filesystem_types_method_descriptor_stat(B(d), &st, &e)) put_stat(&st); else fs_err(e); return; }
    case 5: { DESC(d); uint8_t follow = next() & 1; guest_string_t p = path_arg(); wasi_filesystem_types_descriptor_stat_t st;
        if (wasi_filesystem_types_method_descriptor_stat_at(B(d), follow, &p, &st, &e)) put_stat(&st); else fs_err(e); return; }
    case 6: { // readdir D: sorted names and types
        DESC(d); wasi_filesystem_types_own_directory_entry_stream_t ds;
        if (!wasi_filesystem_types_method_descriptor_read_directory(B(d), &ds, &e)) { fs_err(e); return; }
        wasi_filesystem_types_directory_entry_t ents[64]; size_t n = 0; bool more = false;
        for (;;) {
            wasi_filesystem_types_option_directory_entry_t o;
            if (!wasi_filesystem_types_method_directory_entry_stream_read_directory_entry(wasi_filesystem_types_borrow_directory_entry_stream(ds), &o, &e)) { fs_err(e); break; }
            if (!o.is_some) break;
            if (n < 64) ents[n++] = o.val; else { more = true; wasi_filesystem_types_directory_entry_free(&o.val); }
        }
        wasi_filesystem_types_directory_entry_stream_drop_own(ds);
        qsort(ents, n, sizeof ents[0], cmp_entry);
        put(" ok");
        for (size_t i = 0; i < n; i++) { put(" "); put_esc(ents[i].name.ptr, ents[i].name.len); put(":"); put_type(ents[i].type); wasi_filesystem_types_directory_entry_free(&ents[i]); }
        if (more) put(" …");
        return;
    }
    case 7: { DESC(d); guest_string_t p = path_arg(); DESC(d2); guest_string_t q = path_arg();
        if (wasi_filesystem_types_method_descriptor_rename_at(B(d), &p, B(d2), &q, &e)) put(" ok"); else fs_err(e); return; }
    case 8: { DESC(d); guest_string_t p = path_arg();
        if (wasi_filesystem_types_method_descriptor_unlink_file_at(B(d), &p, &e)) put(" ok"); else fs_err(e); return; }
    case 9: { DESC(d); guest_string_t p = path_arg();
        if (wasi_filesystem_types_method_descriptor_remove_directory_at(B(d), &p, &e)) put(" ok"); else fs_err(e); return; }
    case 10: { DESC(d); guest_string_t p = path_arg();
        if (wasi_filesystem_types_method_descriptor_create_directory_at(B(d), &p, &e)) put(" ok"); else fs_err(e); return; }
    case 11: { DESC(d); const char *t = TARGETS[next() % NTARGETS]; guest_string_t ts = { (uint8_t *)t, strlen(t) }; put(" ->"); put(t); guest_string_t p = path_arg();
        if (wasi_filesystem_types_method_descriptor_symlink_at(B(d), &ts, &p, &e)) put(" ok"); else fs_err(e); return; }
    case 12: { DESC(d); uint8_t follow = next() & 1; guest_string_t p = path_arg(); DESC(d2); guest_string_t q = path_arg();
        if (wasi_filesystem_types_method_descriptor_link_at(B(d), follow, &p, B(d2), &q, &e)) put(" ok"); else fs_err(e); return; }
    case 13: { DESC(d); uint64_t size = offset_of(next());
        if (wasi_filesystem_types_method_descriptor_set_size(B(d), size, &e)) put(" ok"); else fs_err(e); return; }
    case 14: { DESC(d); bool ok = (next() & 1) ? wasi_filesystem_types_method_descriptor_sync(B(d), &e) : wasi_filesystem_types_method_descriptor_sync_data(B(d), &e);
        if (ok) put(" ok"); else fs_err(e); return; }
    case 15: { DESC(d); guest_string_t p = path_arg(); guest_string_t r;
        if (wasi_filesystem_types_method_descriptor_readlink_at(B(d), &p, &r, &e)) { put(" ok "); put_esc(r.ptr, r.len); guest_string_free(&r); } else fs_err(e); return; }
    case 16: case 17: case 18: { // read-via-stream / write-via-stream D OFF, append-via-stream D
        DESC(d); uint64_t off = code == 18 ? 0 : offset_of(next());
        bool input = code == 16;
        int s = input ? free_slot(in_ok, NSTREAM) : free_slot(out_ok, NSTREAM);
        if (s < 0) { put(" full"); return; }
        bool ok = code == 16 ? wasi_filesystem_types_method_descriptor_read_via_stream(B(d), off, &ins[s], &e)
                : code == 17 ? wasi_filesystem_types_method_descriptor_write_via_stream(B(d), off, &outs[s], &e)
                : wasi_filesystem_types_method_descriptor_append_via_stream(B(d), &outs[s], &e);
        if (!ok) { fs_err(e); return; }
        if (input) in_ok[s] = true; else out_ok[s] = true;
        put(input ? " ok i" : " ok o"); put_u(s);
        return;
    }
    case 19: case 20: case 21: case 22: { // in.read / blocking-read / skip / blocking-skip S LEN
        int s = slot_in_use(in_ok, NSTREAM, next()); uint64_t len = size_of_(next());
        if (s < 0) { put(" no-stream"); return; }
        stream_read(s, len, code == 20 || code == 22, code >= 21);
        return;
    }
    case 23: case 24: case 25: case 26: case 27: case 28: { // output stream calls S [LEN]
        int s = slot_in_use(out_ok, NSTREAM, next());
        uint8_t raw = code == 24 || code == 27 || code == 28 ? next() : 0;
        uint64_t len = size_of_(raw);
        if (s < 0) { put(" no-stream"); return; }
        wasi_io_streams_borrow_output_stream_t o = wasi_io_streams_borrow_output_stream(outs[s]);
        serr se; bool ok; uint64_t permit = 0;
        if (len > WRITE_CAP) len = WRITE_CAP;
        guest_list_u8_t l = { pattern(len), len };
        switch (code) {
        case 23: wait_out(s); ok = wasi_io_streams_method_output_stream_check_write(o, &permit, &se); break;
        case 24: // a write within the permit (as p2 requires; the rest is not sent), or with
                 // the argument's high bit set, the whole write regardless of the permit
            wait_out(s);
            ok = wasi_io_streams_method_output_stream_check_write(o, &permit, &se);
            if (ok) { if (l.len > permit && !(raw & 0x80)) l.len = permit; ok = wasi_io_streams_method_output_stream_write(o, &l, &se); }
            // Waits until the write is done: wasmtime-wasi writes files on a blocking thread,
            // so what a following call sees of the file would be timing.
            if (ok) wait_out(s);
            permit = l.len; break;
        case 25: wait_out(s); ok = wasi_io_streams_method_output_stream_flush(o, &se); break;
        case 26: ok = wasi_io_streams_method_output_stream_blocking_flush(o, &se); break;
        case 27: if (l.len > 4096) l.len = 4096; permit = l.len; ok = wasi_io_streams_method_output_stream_blocking_write_and_flush(o, &l, &se); break;
        default: if (len > 4096) len = 4096; permit = len; ok = wasi_io_streams_method_output_stream_blocking_write_zeroes_and_flush(o, len, &se); break;
        }
        if (ok) { put(" ok"); if (code == 23 || code == 24 || code == 27 || code == 28) { put(" "); put_u(permit); } }
        else stream_err(&se);
        return;
    }
    case 29: { // out.splice O I LEN (blocking)
        int o = slot_in_use(out_ok, NSTREAM, next()), i = slot_in_use(in_ok, NSTREAM, next());
        uint64_t len = size_of_(next());
        if (o < 0 || i < 0) { put(" no-stream"); return; }
        if (len > WRITE_CAP) len = WRITE_CAP;
        uint64_t n; serr se;
        if (wasi_io_streams_method_output_stream_blocking_splice(wasi_io_streams_borrow_output_stream(outs[o]), wasi_io_streams_borrow_input_stream(ins[i]), len, &n, &se)) { put(" ok "); put_u(n); }
        else stream_err(&se);
        return;
    }
    case 30: case 31: case 34: { // subscribe an input / output stream, or a clock duration
        uint8_t b = next();
        int p = free_slot(poll_ok, NPOLL);
        if (p < 0) { put(" full"); return; }
        if (code == 34) polls[p] = wasi_clocks_monotonic_clock_subscribe_duration((uint64_t)(b % 4) * 100000);
        else if (code == 30) { int s = slot_in_use(in_ok, NSTREAM, b); if (s < 0) { put(" no-stream"); return; } polls[p] = wasi_io_streams_method_input_stream_subscribe(wasi_io_streams_borrow_input_stream(ins[s])); }
        else { int s = slot_in_use(out_ok, NSTREAM, b); if (s < 0) { put(" no-stream"); return; } polls[p] = wasi_io_streams_method_output_stream_subscribe(wasi_io_streams_borrow_output_stream(outs[s])); }
        poll_ok[p] = true; put(" ok p"); put_u(p);
        return;
    }
    case 32: { // poll MASK: which ones are ready is timing; the call must return, with valid indices
        uint8_t mask = next();
        wasi_io_poll_borrow_pollable_t list[NPOLL]; size_t n = 0;
        for (int i = 0; i < NPOLL; i++) if ((mask >> i & 1) && poll_ok[i]) list[n++] = wasi_io_poll_borrow_pollable(polls[i]);
        if (n == 0) { put(" empty"); return; }
        wasi_io_poll_list_borrow_pollable_t in = { list, n }; guest_list_u32_t r;
        wasi_io_poll_poll(&in, &r);
        bool valid = r.len >= 1 && r.len <= n;
        for (size_t i = 0; i < r.len; i++) if (r.ptr[i] >= n) valid = false;
        put(valid ? " ok" : " bad-indices");
        guest_list_u32_free(&r);
        return;
    }
    case 33: { // drop-stream KIND SLOT: 0 input, 1 output, 2 pollable
        uint8_t k = next() % 3, b = next(); int s;
        if (k == 0 && (s = slot_in_use(in_ok, NSTREAM, b)) >= 0) { wasi_io_streams_input_stream_drop_own(ins[s]); in_ok[s] = false; }
        else if (k == 1 && (s = slot_in_use(out_ok, NSTREAM, b)) >= 0) { flush_out(s); wasi_io_streams_output_stream_drop_own(outs[s]); out_ok[s] = false; }
        else if (k == 2 && (s = slot_in_use(poll_ok, NPOLL, b)) >= 0) { wasi_io_poll_pollable_drop_own(polls[s]); poll_ok[s] = false; }
        else { put(" none"); return; }
        put(" ok");
        return;
    }
    case 35: { uint64_t len = size_of_(next()); if (len > RANDOM_CAP) len = RANDOM_CAP;
        guest_list_u8_t r; wasi_random_random_get_random_bytes(len, &r); put(" ok "); put_u(r.len); guest_list_u8_free(&r); return; }
    case 36: { DESC(d); wasi_filesystem_types_descriptor_type_t t; wasi_filesystem_types_descriptor_flags_t f;
        if (!wasi_filesystem_types_method_descriptor_get_type(B(d), &t, &e)) { fs_err(e); return; }
        put(" ok "); put_type(t);
        if (wasi_filesystem_types_method_descriptor_get_flags(B(d), &f, &e)) { put(" flags "); put_u(f); } else fs_err(e);
        return; }
    case 37: DESC(d); DESC(d2); put(wasi_filesystem_types_method_descriptor_is_same_object(B(d), B(d2)) ? " ok same" : " ok different"); return;
    case 38: { DESC(d); uint8_t follow = next() & 1; guest_string_t p = path_arg(); uint8_t w = next();
        wasi_filesystem_types_new_timestamp_t a = { .tag = w % 3 }, m = { .tag = (w / 3) % 3 };
        if (a.tag == WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_TIMESTAMP) { a.val.timestamp.seconds = 1000000000; a.val.timestamp.nanoseconds = (w & 0x80) ? 2000000000u : 5; }
        if (m.tag == WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_TIMESTAMP) { m.val.timestamp.seconds = 1; m.val.timestamp.nanoseconds = 0; }
        bool ok = (w & 0x40) ? wasi_filesystem_types_method_descriptor_set_times(B(d), &a, &m, &e)
                             : wasi_filesystem_types_method_descriptor_set_times_at(B(d), follow, &p, &a, &m, &e);
        if (ok) put(" ok"); else fs_err(e); return; }
    default: { DESC(d); uint64_t off = offset_of(next()), len = size_of_(next()); uint8_t adv = next() % 6;
        if (wasi_filesystem_types_method_descriptor_advise(B(d), off, len, adv, &e)) put(" ok"); else fs_err(e); return; }
    }
}

static bool str_is(guest_string_t *s, const char *c) { return s->len == strlen(c) && memcmp(s->ptr, c, s->len) == 0; }
static uint64_t str_u(guest_string_t *s) { uint64_t v = 0; for (size_t i = 0; i < s->len; i++) v = v * 10 + (s->ptr[i] - '0'); return v; }

// Writes the line so far to the file `report` in `root` (for a guest whose stdout is a sink).
static void save_report(bdesc root) {
    guest_string_t name = { (uint8_t *)"report", 6 }; odesc f; ecode e; uint64_t w;
    if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &name, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE | WASI_FILESYSTEM_TYPES_OPEN_FLAGS_TRUNCATE, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE, &f, &e)) return;
    guest_list_u8_t l = { (uint8_t *)line, line_len };
    wasi_filesystem_types_method_descriptor_write(wasi_filesystem_types_borrow_descriptor(f), &l, 0, &w, &e);
    wasi_filesystem_types_descriptor_drop_own(f);
}

static void hostile(bdesc root, guest_string_t *mode, uint64_t n) {
    ecode e;
    put("hostile "); put_esc(mode->ptr, mode->len); put(" "); put_u(n);
    if (str_is(mode, "poll")) {
        wasi_io_poll_own_pollable_t p = wasi_clocks_monotonic_clock_subscribe_duration(0);
        wasi_io_poll_borrow_pollable_t *list = malloc(n * sizeof *list);
        for (uint64_t i = 0; i < n; i++) list[i] = wasi_io_poll_borrow_pollable(p);
        wasi_io_poll_list_borrow_pollable_t in = { list, n }; guest_list_u32_t r;
        wasi_io_poll_poll(&in, &r);
        put(" ok ready "); put_u(r.len);
        guest_list_u32_free(&r); free(list);
        wasi_io_poll_pollable_drop_own(p);
    } else if (str_is(mode, "descriptors")) {
        odesc *fds = malloc(n * sizeof *fds); uint64_t k = 0;
        guest_string_t a = { (uint8_t *)"a", 1 };
        for (; k < n; k++) if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &a, 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &fds[k], &e)) break;
        put(" opened "); put_u(k); if (k < n) fs_err(e);
        for (uint64_t i = 0; i < k; i++) wasi_filesystem_types_descriptor_drop_own(fds[i]);
        free(fds);
    } else if (str_is(mode, "readdir")) {
        guest_string_t d = { (uint8_t *)"big", 3 }; odesc dd; wasi_filesystem_types_own_directory_entry_stream_t ds;
        if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &d, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_DIRECTORY, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &dd, &e)) { fs_err(e); return; }
        if (!wasi_filesystem_types_method_descriptor_read_directory(wasi_filesystem_types_borrow_descriptor(dd), &ds, &e)) { fs_err(e); return; }
        uint64_t count = 0;
        for (;;) {
            wasi_filesystem_types_option_directory_entry_t o;
            if (!wasi_filesystem_types_method_directory_entry_stream_read_directory_entry(wasi_filesystem_types_borrow_directory_entry_stream(ds), &o, &e)) { fs_err(e); break; }
            if (!o.is_some) break;
            count++; wasi_filesystem_types_directory_entry_free(&o.val);
        }
        put(" entries "); put_u(count);
        wasi_filesystem_types_directory_entry_stream_drop_own(ds);
        wasi_filesystem_types_descriptor_drop_own(dd);
    } else if (str_is(mode, "long-path")) {
        char *p = malloc(n); guest_string_t s = { (uint8_t *)p, n };
        for (uint64_t i = 0; i < n; i++) p[i] = (i & 1) ? '/' : 'd';
        wasi_filesystem_types_descriptor_stat_t st; odesc f;
        for (int pass = 0; pass < 2; pass++) {
            put(pass ? " name:" : " path:");
            if (wasi_filesystem_types_method_descriptor_stat_at(root, 0, &s, &st, &e)) put(" stat ok"); else fs_err(e);
            if (wasi_filesystem_types_method_descriptor_open_at(root, 0, &s, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE, &f, &e)) { put(" open ok"); wasi_filesystem_types_descriptor_drop_own(f); } else fs_err(e);
            if (wasi_filesystem_types_method_descriptor_create_directory_at(root, &s, &e)) put(" mkdir ok"); else fs_err(e);
            memset(p, 'n', n);
        }
        free(p);
    } else if (str_is(mode, "never-drain")) {
        guest_string_t b = { (uint8_t *)"big", 3 }; odesc f; wasi_io_streams_own_input_stream_t in;
        if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &b, 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &f, &e)) { fs_err(e); return; }
        if (!wasi_filesystem_types_method_descriptor_read_via_stream(wasi_filesystem_types_borrow_descriptor(f), 0, &in, &e)) { fs_err(e); return; }
        for (uint64_t i = 0; i < n; i++) {
            wasi_io_poll_own_pollable_t p = wasi_io_streams_method_input_stream_subscribe(wasi_io_streams_borrow_input_stream(in));
            wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
            wasi_io_poll_pollable_drop_own(p);
            wait_pollable(wasi_clocks_monotonic_clock_subscribe_duration(1000000));
        }
        put(" ok");
        wasi_io_streams_input_stream_drop_own(in);
        wasi_filesystem_types_descriptor_drop_own(f);
    } else if (str_is(mode, "over-permit")) {
        guest_string_t w = { (uint8_t *)"w", 1 }; odesc f; wasi_io_streams_own_output_stream_t os;
        if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &w, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE, &f, &e)) { fs_err(e); return; }
        if (!wasi_filesystem_types_method_descriptor_write_via_stream(wasi_filesystem_types_borrow_descriptor(f), 0, &os, &e)) { fs_err(e); return; }
        wasi_io_streams_borrow_output_stream_t o = wasi_io_streams_borrow_output_stream(os);
        uint64_t permit; serr se;
        if (wasi_io_streams_method_output_stream_check_write(o, &permit, &se)) { put(" permit "); put_u(permit); } else stream_err(&se);
        uint8_t *data = malloc(n); memset(data, 'w', n);
        guest_list_u8_t l = { data, n };
        if (wasi_io_streams_method_output_stream_write(o, &l, &se)) put(" write ok"); else stream_err(&se);
        if (wasi_io_streams_method_output_stream_blocking_flush(o, &se)) put(" flush ok"); else stream_err(&se);
        free(data);
        wasi_io_streams_output_stream_drop_own(os);
        wasi_filesystem_types_descriptor_drop_own(f);
    } else if (str_is(mode, "zero-read")) {
        // blocking-read(0) on a file stream, then a read of 5 (a deliberate difference).
        guest_string_t a = { (uint8_t *)"a", 1 }; odesc f; wasi_io_streams_own_input_stream_t in;
        if (!wasi_filesystem_types_method_descriptor_open_at(root, 0, &a, 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &f, &e)) { fs_err(e); return; }
        if (!wasi_filesystem_types_method_descriptor_read_via_stream(wasi_filesystem_types_borrow_descriptor(f), 0, &in, &e)) { fs_err(e); return; }
        for (int len = 0; len <= 5; len += 5) {
            guest_list_u8_t b; serr se;
            put(len ? " read 5:" : " read 0:");
            if (wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(in), len, &b, &se)) { put(" ok "); put_esc(b.ptr, b.len); guest_list_u8_free(&b); }
            else stream_err(&se);
        }
        wasi_io_streams_input_stream_drop_own(in);
        wasi_filesystem_types_descriptor_drop_own(f);
    } else if (str_is(mode, "no-stdio")) {
        // A guest given no stdio (GHSA-gqmc-89g8-p25r): stdin and stdout asked for N bytes each
        // way. The report goes to the file `report` after each call (stdout is a sink).
        wasi_io_streams_own_input_stream_t in = wasi_cli_stdin_get_stdin();
        wasi_io_streams_borrow_input_stream_t ib = wasi_io_streams_borrow_input_stream(in);
        wasi_io_streams_borrow_output_stream_t o = wasi_io_streams_borrow_output_stream(out);
        guest_list_u8_t b; serr se; uint64_t k;
        put(" read:");
        if (wasi_io_streams_method_input_stream_read(ib, n, &b, &se)) { put(" ok "); put_u(b.len); guest_list_u8_free(&b); } else stream_err(&se);
        save_report(root);
        put(" blocking-read:");
        if (wasi_io_streams_method_input_stream_blocking_read(ib, n, &b, &se)) { put(" ok "); put_u(b.len); guest_list_u8_free(&b); } else stream_err(&se);
        save_report(root);
        put(" skip:");
        if (wasi_io_streams_method_input_stream_skip(ib, n, &k, &se)) { put(" ok "); put_u(k); } else stream_err(&se);
        save_report(root);
        put(" blocking-skip:");
        if (wasi_io_streams_method_input_stream_blocking_skip(ib, n, &k, &se)) { put(" ok "); put_u(k); } else stream_err(&se);
        save_report(root);
        wasi_io_streams_input_stream_drop_own(in);
        put(" check-write:");
        if (wasi_io_streams_method_output_stream_check_write(o, &k, &se)) { put(" ok "); put_u(k); } else stream_err(&se);
        save_report(root);
        put(" write-zeroes:");
        if (wasi_io_streams_method_output_stream_write_zeroes(o, n, &se)) put(" ok"); else stream_err(&se);
        save_report(root);
        put(" flush:");
        if (wasi_io_streams_method_output_stream_blocking_flush(o, &se)) put(" ok"); else stream_err(&se);
        save_report(root);
        put(" blocking-write-zeroes-and-flush:");
        if (wasi_io_streams_method_output_stream_blocking_write_zeroes_and_flush(o, n, &se)) put(" ok"); else stream_err(&se);
        save_report(root);
    } else put(" unknown mode");
}

bool exports_wasi_cli_run_run(void) {
    out = wasi_cli_stdout_get_stdout();
    guest_list_string_t argv;
    wasi_cli_environment_get_arguments(&argv);
    if (argv.len > 3 && str_is(&argv.ptr[1], "hostile")) {
        wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t pre;
        wasi_filesystem_preopens_get_directories(&pre);
        if (pre.len > 0) hostile(wasi_filesystem_types_borrow_descriptor(pre.ptr[0].f0), &argv.ptr[2], str_u(&argv.ptr[3]));
        emit();
        return true;
    }
    guest_list_string_free(&argv);
    // The program: stdin to its end (at most 64 KiB).
    static uint8_t buf[65536]; size_t n = 0;
    wasi_io_streams_own_input_stream_t in = wasi_cli_stdin_get_stdin();
    while (n < sizeof buf) {
        guest_list_u8_t b; serr e;
        if (!wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(in), sizeof buf - n, &b, &e)) {
            if (e.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED) wasi_io_error_error_drop_own(e.val.last_operation_failed);
            break;
        }
        memcpy(buf + n, b.ptr, b.len); n += b.len; guest_list_u8_free(&b);
    }
    wasi_io_streams_input_stream_drop_own(in);
    prog = buf; prog_len = n; prog_pos = 0;
    // Preopens fill the first descriptor slots, in order.
    wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t pre;
    wasi_filesystem_preopens_get_directories(&pre);
    for (size_t i = 0; i < pre.len && i < NDESC; i++) {
        desc[i] = pre.ptr[i].f0; desc_ok[i] = true;
        put("preopen d"); put_u(i); put(" "); put_esc(pre.ptr[i].f1.ptr, pre.ptr[i].f1.len); emit();
        guest_string_free(&pre.ptr[i].f1);
    }
    for (int i = 0; i < MAX_OPS && prog_pos < prog_len; i++) { op(i); emit(); }
    // Everything is dropped before returning, streams first (a host must finish their work).
    for (int i = 0; i < NPOLL; i++) if (poll_ok[i]) wasi_io_poll_pollable_drop_own(polls[i]);
    for (int i = 0; i < NSTREAM; i++) if (in_ok[i]) wasi_io_streams_input_stream_drop_own(ins[i]);
    for (int i = 0; i < NSTREAM; i++) if (out_ok[i]) { flush_out(i); wasi_io_streams_output_stream_drop_own(outs[i]); }
    for (int i = 0; i < NDESC; i++) if (desc_ok[i]) wasi_filesystem_types_descriptor_drop_own(desc[i]);
    put("end"); emit();
    return true;
}
