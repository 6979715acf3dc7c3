// Every wasi_snapshot_preview1 function called directly (wasi/api.h, no libc wrappers), with
// its result printed, under the preopened directory argv[1] (preopen fd 3). Modes:
//   all        every function once, including the error cases (the differential test)
//   asc        AssemblyScript's way: sizes first, then args_get / environ_get into buffers of
//              exactly that size, a write to an invalid fd, then proc_exit(33)
//   stdout MIB    MIB MiB to stdout in 64 KiB fd_write calls (benchmark)
//   readdir N     creates N files, then lists them with fd_readdir in 4 KiB buffers (benchmark)
//   poll N        poll_oneoff over N subscriptions (N-1 far timers, one ready fd) 100 times
//   faults        two fd_writes to stdout, each errno reported on stderr
//   prompt [stderr]  writes "name? " (no newline) to fd 1 (or 2), reads a line from fd 0,
//                 answers "hello, NAME" on fd 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#pragma clang diagnostic ignored "-Wformat"
#pragma clang diagnostic ignored "-Wunused-result"

#define PRE 3

// wasi-libc no longer declares it.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t raw_proc_raise(uint8_t sig);

static void out(const char *s) {
    __wasi_ciovec_t iov = { (const uint8_t *)s, strlen(s) };
    __wasi_size_t n;
    __wasi_fd_write(1, &iov, 1, &n);
}
static char line[512];
#define say(...) do { snprintf(line, sizeof line, __VA_ARGS__); out(line); } while (0)
static void err(const char *what, __wasi_errno_t e) { say("%s: %s%u\n", what, e ? "errno " : "ok ", e); }

static __wasi_fd_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t of, __wasi_rights_t rights,
                           __wasi_fdflags_t ff, __wasi_errno_t *e) {
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    *e = __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, of, rights, rights, ff, &fd);
    return fd;
}

static void fdstat(const char *what, __wasi_fd_t fd) {
    __wasi_fdstat_t st;
    __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
    if (e) { err(what, e); return; }
    say("%s: type %u flags %u base %llx inheriting %llx\n", what, st.fs_filetype, st.fs_flags,
        (unsigned long long)st.fs_rights_base, (unsigned long long)st.fs_rights_inheriting);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void readdir_all(__wasi_fd_t dir, size_t bufsize, int print) {
    static uint8_t buf[65536];
    __wasi_dircookie_t cookie = 0;
    char *names[4096]; int n = 0; long total = 0;
    for (;;) {
        __wasi_size_t used;
        __wasi_errno_t e = __wasi_fd_readdir(dir, buf, bufsize, cookie, &used);
        if (e) { err("fd_readdir", e); return; }
        size_t off = 0; int progressed = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d; memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used) break;  // truncated: resume at this cookie
            if (print && n < 4096) {
                char *s = malloc(d.d_namlen + 8);
                memcpy(s, buf + off + sizeof d, d.d_namlen);
                snprintf(s + d.d_namlen, 8, ":%u", d.d_type);
                names[n++] = s;
            }
            total++;
            cookie = d.d_next;
            off += sizeof d + d.d_namlen;
            progressed = 1;
        }
        if (used < bufsize && off == used) break;
        if (!progressed) { say("fd_readdir: buffer too small\n"); return; }
    }
    if (print) {
        qsort(names, n, sizeof *names, cmp);
        out("entries:");
        for (int i = 0; i < n; i++) { say(" %s", names[i]); free(names[i]); }
        out("\n");
    } else {
        say("entries: %ld\n", total);
    }
}

static void do_all(void) {
    __wasi_errno_t e;
    // args and environment
    __wasi_size_t argc, argsz, envc, envsz;
    __wasi_args_sizes_get(&argc, &argsz);
    __wasi_environ_sizes_get(&envc, &envsz);
    say("args: %u %u env: %u %u\n", argc, argsz, envc, envsz);
    // clocks
    __wasi_timestamp_t t;
    err("clock_res_get realtime", __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &t));
    err("clock_res_get process", __wasi_clock_res_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, &t));
    e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
    say("clock_time_get monotonic: %u %s\n", e, t > 0 ? "positive" : "zero");
    err("clock_time_get thread", __wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 1, &t));
    // stdio and preopen
    fdstat("fdstat 0", 0); fdstat("fdstat 1", 1); fdstat("fdstat 2", 2); fdstat("fdstat 3", PRE);
    fdstat("fdstat 99", 99);
    __wasi_filestat_t fst;
    e = __wasi_fd_filestat_get(1, &fst);
    say("filestat 1: %u type %u size %llu\n", e, fst.filetype, (unsigned long long)fst.size);
    __wasi_prestat_t pre;
    e = __wasi_fd_prestat_get(PRE, &pre);
    say("prestat 3: %u len %u\n", e, pre.u.dir.pr_name_len);
    char name[64] = {0};
    err("prestat_dir_name short", __wasi_fd_prestat_dir_name(PRE, (uint8_t *)name, 1));
    e = __wasi_fd_prestat_dir_name(PRE, (uint8_t *)name, sizeof name);
    say("prestat_dir_name: %u %s\n", e, name);
    err("prestat_get 0", __wasi_fd_prestat_get(0, &pre));
    err("prestat_dir_name 0", __wasi_fd_prestat_dir_name(0, (uint8_t *)name, sizeof name));
    // files
    __wasi_fd_t f = open_at(PRE, "calls.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                            __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK, 0, &e);
    err("path_open create", e);
    fdstat("fdstat file", f);
    __wasi_ciovec_t civ[3] = { { (const uint8_t *)"", 0 }, { (const uint8_t *)"hello calls\n", 12 },
                               { (const uint8_t *)"not written\n", 12 } };
    __wasi_size_t n;
    e = __wasi_fd_write(f, civ, 3, &n); say("fd_write iovecs: %u %u\n", e, n);
    __wasi_filesize_t pos;
    e = __wasi_fd_tell(f, &pos); say("fd_tell: %u %llu\n", e, (unsigned long long)pos);
    e = __wasi_fd_seek(f, 6, __WASI_WHENCE_SET, &pos); say("fd_seek set: %u %llu\n", e, (unsigned long long)pos);
    uint8_t buf[64] = {0};
    __wasi_iovec_t iv[2] = { { buf, 0 }, { buf, 5 } };
    e = __wasi_fd_read(f, iv, 2, &n); say("fd_read: %u %u [%.*s]\n", e, n, (int)n, buf);
    e = __wasi_fd_seek(f, -3, __WASI_WHENCE_END, &pos); say("fd_seek end: %u %llu\n", e, (unsigned long long)pos);
    e = __wasi_fd_seek(f, -100, __WASI_WHENCE_CUR, &pos); err("fd_seek before start", e);
    e = __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos); err("fd_seek stdout", e);
    e = __wasi_fd_tell(0, &pos); err("fd_tell stdin", e);
    __wasi_ciovec_t pw = { (const uint8_t *)"PW", 2 };
    e = __wasi_fd_pwrite(f, &pw, 1, 0, &n); say("fd_pwrite: %u %u\n", e, n);
    __wasi_iovec_t pr = { buf, 8 };
    e = __wasi_fd_pread(f, &pr, 1, 0, &n); say("fd_pread: %u %u [%.*s]\n", e, n, (int)n, buf);
    e = __wasi_fd_pread(0, &pr, 1, 0, &n); err("fd_pread stdin", e);
    e = __wasi_fd_pwrite(1, &pw, 1, 0, &n); err("fd_pwrite stdout", e);
    err("fd_advise", __wasi_fd_advise(f, 0, 10, __WASI_ADVICE_SEQUENTIAL));
    err("fd_advise dir", __wasi_fd_advise(PRE, 0, 10, __WASI_ADVICE_NORMAL));
    err("fd_allocate", __wasi_fd_allocate(f, 0, 10));
    err("fd_datasync", __wasi_fd_datasync(f));
    err("fd_sync", __wasi_fd_sync(f));
    err("fd_filestat_set_size", __wasi_fd_filestat_set_size(f, 4));
    e = __wasi_fd_filestat_get(f, &fst);
    say("filestat file: %u type %u size %llu nlink %llu\n", e, fst.filetype,
        (unsigned long long)fst.size, (unsigned long long)fst.nlink);
    err("fd_filestat_set_times both", __wasi_fd_filestat_set_times(f, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    err("fd_filestat_set_times", __wasi_fd_filestat_set_times(f, 0, 1000000000ull * 1500000000ull, __WASI_FSTFLAGS_MTIM));
    e = __wasi_fd_filestat_get(f, &fst); say("mtim: %llu\n", (unsigned long long)fst.mtim);
    err("fd_fdstat_set_flags append", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND));
    fdstat("fdstat file append", f);
    e = __wasi_fd_write(f, &pw, 1, &n);
    e = __wasi_fd_tell(f, &pos); say("tell after append: %u %llu\n", e, (unsigned long long)pos);
    err("fd_fdstat_set_flags sync", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_SYNC));
    err("fd_fdstat_set_rights", __wasi_fd_fdstat_set_rights(f, 0, 0));
    // renumber and close
    __wasi_fd_t g = open_at(PRE, "calls.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
    err("fd_renumber", __wasi_fd_renumber(f, g));
    err("fd_close old number", __wasi_fd_close(f));
    err("fd_renumber unknown", __wasi_fd_renumber(g, 77));
    e = __wasi_fd_pread(g, &pr, 1, 0, &n); say("read renumbered: %u [%.*s]\n", e, (int)n, buf);
    err("fd_close", __wasi_fd_close(g));
    err("fd_close again", __wasi_fd_close(g));
    // paths
    err("path_create_directory", __wasi_path_create_directory(PRE, "d"));
    err("path_create_directory again", __wasi_path_create_directory(PRE, "d"));
    err("path_symlink", __wasi_path_symlink("calls.txt", PRE, "d/link"));
    char target[64] = {0};
    e = __wasi_path_readlink(PRE, "d/link", (uint8_t *)target, 4, &n);
    say("path_readlink short: %u %u [%.*s]\n", e, n, (int)n, target);
    err("path_link", __wasi_path_link(PRE, 0, "calls.txt", PRE, "d/hard"));
    e = __wasi_path_filestat_get(PRE, 0, "d/hard", &fst);
    say("path_filestat_get: %u type %u nlink %llu\n", e, fst.filetype, (unsigned long long)fst.nlink);
    e = __wasi_path_filestat_get(PRE, 0, "d/link", &fst); say("lstat link: %u type %u\n", e, fst.filetype);
    e = __wasi_path_filestat_get(PRE, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/link", &fst);
    say("stat link: %u type %u\n", e, fst.filetype);
    err("path_filestat_set_times", __wasi_path_filestat_set_times(PRE, 0, "d/hard", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    err("path_rename", __wasi_path_rename(PRE, "d/hard", PRE, "d/moved"));
    err("path_rename missing", __wasi_path_rename(PRE, "nope", PRE, "d/x"));
    err("path_unlink_file", __wasi_path_unlink_file(PRE, "d/moved"));
    err("path_unlink_file dir", __wasi_path_unlink_file(PRE, "d"));
    err("path_remove_directory non-empty", __wasi_path_remove_directory(PRE, "d"));
    open_at(PRE, "calls.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, __WASI_RIGHTS_FD_READ, 0, &e);
    err("path_open excl existing", e);
    open_at(PRE, "calls.txt", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0, &e);
    err("path_open directory on a file", e);
    open_at(PRE, "../escape", 0, __WASI_RIGHTS_FD_READ, 0, &e);
    err("path_open escape", e);
    __wasi_fd_t d = open_at(PRE, "d", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, &e);
    err("path_open dir", e);
    fdstat("fdstat opened dir", d);
    readdir_all(d, 40, 1);
    readdir_all(PRE, 4096, 1);
    err("fd_readdir file", __wasi_fd_readdir(1, buf, sizeof buf, 0, &n));
    __wasi_fd_close(d);
    err("path_unlink_file link", __wasi_path_unlink_file(PRE, "d/link"));
    err("path_remove_directory", __wasi_path_remove_directory(PRE, "d"));
    // poll_oneoff
    __wasi_subscription_t subs[3];
    __wasi_event_t evs[3];
    memset(subs, 0, sizeof subs);
    err("poll_oneoff none", __wasi_poll_oneoff(subs, evs, 0, &n));
    subs[0].userdata = 7; subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC; subs[0].u.u.clock.timeout = 1000000;
    e = __wasi_poll_oneoff(subs, evs, 1, &n);
    say("poll clock: %u n %u userdata %llu type %u\n", e, n, (unsigned long long)evs[0].userdata, evs[0].type);
    subs[0].u.u.clock.timeout = 60ull * 1000000000ull;
    __wasi_fd_t r = open_at(PRE, "calls.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
    subs[1].userdata = 8; subs[1].u.tag = __WASI_EVENTTYPE_FD_READ; subs[1].u.u.fd_read.file_descriptor = r;
    subs[2].userdata = 9; subs[2].u.tag = __WASI_EVENTTYPE_FD_WRITE; subs[2].u.u.fd_write.file_descriptor = 1;
    // One fd at a time beside a far timer: which of two ready fds a host reports first is
    // timing, not semantics.
    for (int k = 1; k <= 2; k++) {
        __wasi_subscription_t two[2] = { subs[0], subs[k] };
        e = __wasi_poll_oneoff(two, evs, 2, &n);
        say("poll fd: %u n %u", e, n);
        for (unsigned i = 0; i < n; i++)
            say(" [%llu type %u error %u flags %u]", (unsigned long long)evs[i].userdata, evs[i].type,
                evs[i].error, evs[i].fd_readwrite.flags);
        out("\n");
    }
    subs[1].u.u.fd_read.file_descriptor = 99;
    err("poll bad fd", __wasi_poll_oneoff(subs, evs, 3, &n));
    // the rest
    err("proc_raise", raw_proc_raise(15));
    err("sched_yield", __wasi_sched_yield());
    err("random_get", __wasi_random_get(buf, 16));
    __wasi_fd_t nfd;
    err("sock_accept stdout", __wasi_sock_accept(1, 0, &nfd));
    err("sock_accept bad fd", __wasi_sock_accept(99, 0, &nfd));
    __wasi_roflags_t ro;
    err("sock_recv file", __wasi_sock_recv(r, &pr, 1, 0, &n, &ro));
    err("sock_send stdout", __wasi_sock_send(1, &pw, 1, 0, &n));
    err("sock_shutdown stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR));
    err("fd_write bad fd", __wasi_fd_write(99, &pw, 1, &n));
    err("fd_read stdout", __wasi_fd_read(1, &pr, 1, &n));
}

static void do_asc(void) {
    __wasi_size_t argc, argsz, envc, envsz;
    __wasi_args_sizes_get(&argc, &argsz);
    uint8_t **argv = malloc(argc * sizeof *argv);
    uint8_t *argbuf = malloc(argsz);
    __wasi_errno_t e = __wasi_args_get(argv, argbuf);
    say("args_get: %u\n", e);
    for (__wasi_size_t i = 0; i < argc; i++) say("arg %u: %s\n", i, (char *)argv[i]);
    __wasi_environ_sizes_get(&envc, &envsz);
    uint8_t **env = malloc(envc * sizeof *env);
    uint8_t *envbuf = malloc(envsz);
    e = __wasi_environ_get(env, envbuf);
    say("environ_get: %u\n", e);
    for (__wasi_size_t i = 0; i < envc; i++) say("env %u: %s\n", i, (char *)env[i]);
    __wasi_ciovec_t iov = { (const uint8_t *)"x", 1 };
    __wasi_size_t n;
    say("write to fd 42: errno %u\n", __wasi_fd_write(42, &iov, 1, &n));
    __wasi_proc_exit(33);
}

static void do_stdout(unsigned long long mib) {
    static uint8_t chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    chunk[sizeof chunk - 1] = '\n';
    __wasi_ciovec_t iov = { chunk, sizeof chunk };
    for (unsigned long long i = 0; i < mib * 16; i++) {
        __wasi_size_t n, off = 0;
        while (off < sizeof chunk) {
            iov.buf = chunk + off; iov.buf_len = sizeof chunk - off;
            if (__wasi_fd_write(1, &iov, 1, &n)) return;
            off += n;
        }
    }
}

static void do_readdir(unsigned long n) {
    __wasi_errno_t e;
    __wasi_fd_t d = open_at(PRE, "many", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, &e);
    if (e) {
        __wasi_path_create_directory(PRE, "many");
        d = open_at(PRE, "many", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, &e);
        __wasi_fd_t dm = d;
        for (unsigned long i = 0; i < n; i++) {
            char name[32]; snprintf(name, sizeof name, "f%05lu", i);
            __wasi_fd_t f = open_at(dm, name, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, &e);
            __wasi_fd_close(f);
        }
    }
    readdir_all(d, 4096, 0);
}

static void do_poll(unsigned long n) {
    __wasi_subscription_t *subs = calloc(n, sizeof *subs);
    __wasi_event_t *evs = calloc(n, sizeof *evs);
    for (unsigned long i = 0; i + 1 < n; i++) {
        subs[i].u.tag = __WASI_EVENTTYPE_CLOCK;
        subs[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        subs[i].u.u.clock.timeout = 3600ull * 1000000000ull;
    }
    subs[n - 1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
    subs[n - 1].u.u.fd_write.file_descriptor = 1;
    __wasi_size_t got = 0;
    for (int r = 0; r < 100; r++)
        if (__wasi_poll_oneoff(subs, evs, n, &got)) { out("poll failed\n"); return; }
    say("ready: %u\n", got);
}

static void do_faults(void) {
    for (int i = 1; i <= 2; i++) {
        __wasi_ciovec_t iov = { (const uint8_t *)"x\n", 2 };
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_write(1, &iov, 1, &n);
        char msg[64];
        int len = snprintf(msg, sizeof msg, "stdout write %d: errno %u\n", i, e);
        __wasi_ciovec_t m = { (const uint8_t *)msg, (size_t)len };
        __wasi_fd_write(2, &m, 1, &n);
    }
}

static void do_prompt(int fd) {
    __wasi_ciovec_t iov = { (const uint8_t *)"name? ", 6 };
    __wasi_size_t n;
    __wasi_fd_write(fd, &iov, 1, &n);
    char name[256]; size_t len = 0;
    for (;;) {
        uint8_t c;
        __wasi_iovec_t in = { &c, 1 };
        if (__wasi_fd_read(0, &in, 1, &n) || n == 0 || c == '\n') break;
        if (len < sizeof name - 1) name[len++] = (char)c;
    }
    name[len] = 0;
    say("hello, %s\n", name);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "all";
    unsigned long long arg = argc > 2 ? strtoull(argv[2], 0, 10) : 0;
    if (!strcmp(mode, "all")) do_all();
    else if (!strcmp(mode, "asc")) do_asc();
    else if (!strcmp(mode, "stdout")) do_stdout(arg);
    else if (!strcmp(mode, "readdir")) do_readdir(arg);
    else if (!strcmp(mode, "poll")) do_poll(arg);
    else if (!strcmp(mode, "faults")) do_faults();
    else if (!strcmp(mode, "prompt")) do_prompt(argc > 2 && !strcmp(argv[2], "stderr") ? 2 : 1);
    else { out("unknown mode\n"); return 2; }
    return 0;
}
