// The op-program vocabulary shared by the p2 and p3 op guests (tests/guests/p2-ops,
// tests/guests/p3-ops) and mirrored by the harness (tests/common/ops.rs).
//
// A program is the bytes on stdin: a sequence of ops, each an opcode byte followed by its
// argument bytes (a missing byte reads as 0). Arguments index the small vocabularies below —
// descriptor / stream / pollable slots, paths, symlink targets, sizes, offsets — so every byte
// string is a valid program. At most MAX_OPS ops run. Each op prints one canonical line:
// "<index> <op> ok …", "<index> <op> err <code>", or for streams "closed" / "failed <code>".
// A short read or write is not a result (hosts may legitimately split them), so reads collect
// until the requested length (at most READ_CAP), the end or an error, and print the byte count
// and an FNV-1a hash of the bytes.
#ifndef OPS_VOCAB_H
#define OPS_VOCAB_H
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define MAX_OPS 64
#define READ_CAP (4u << 20)
#define WRITE_CAP (1u << 20)
#define RANDOM_CAP (64u << 10)

static const uint8_t *prog;
static size_t prog_len, prog_pos;
static uint8_t next(void) { return prog_pos < prog_len ? prog[prog_pos++] : 0; }

// Paths, relative to a descriptor: ordinary names, the fixture tree (see ops.rs `populate`),
// and every way out of the sandbox (`..`, absolute, symlinks leading out, loops, NUL, long).
static char long_name[300];
// From index 32 on: the names the sandbox walk plants symlinks under (`up` -> "..", `root` ->
// "/", `chain` -> "up", `d/deep` -> "../..", `sec` -> "../canary/secret") and the ways out
// through them and the fixture's symlinks, with trailing "/", "/." and "/..".
static const char *const PATHS[] = {
    "a", "b", "c", "d", "d/e", "d/f", "d/g", ".", "..", "../canary/secret",
    "/etc/passwd", "d/../a", "d/../../canary", "l", "ll", "out", "abs", "loop1", "l/x", "d/",
    "a/", "", "./d/./e", "nope/a", "out/x", "ro", "../ro/f", "d/h", "dl", "dl/e", "\x01long", "x\0y",
    "up", "root", "chain", "d/deep", "sec", "up/", "up/.", "up/..", "up/canary/secret",
    "root/", "root/.", "root/etc/passwd", "chain/", "chain/.", "chain/..", "chain/canary/secret",
    "d/deep/", "d/deep/.", "d/deep/canary/secret", "sec/", "sec/.", "l/.", "l/..", "abs/",
    "abs/.", "out/", "out/.", "dl/..", "dl/../..", "loop1/",
};
#define NPATHS (sizeof PATHS / sizeof PATHS[0])
#define NUL_PATH 31
static const char *path_of(uint8_t i, size_t *len) {
    const char *p = PATHS[i % NPATHS];
    if (p[0] == '\x01') {
        memset(long_name, 'n', sizeof long_name);
        *len = sizeof long_name;
        return long_name;
    }
    *len = (i % NPATHS) == NUL_PATH ? 3 : strlen(p);
    return p;
}
// Symlink targets.
static const char *const TARGETS[] = {
    "a", "d", "d/e", "..", "../canary/secret", "/etc/passwd", "l", "nope", ".", "d/..", "loop1", "/",
    "up", "../..",
};
#define NTARGETS (sizeof TARGETS / sizeof TARGETS[0])
static const uint64_t SIZES[] = {0, 1, 3, 10, 100, 4096, 65537, 1u << 20, UINT64_MAX, 1ull << 32};
#define NSIZES (sizeof SIZES / sizeof SIZES[0])
static const uint64_t OFFSETS[] = {0, 1, 5, 100, 4096, 1u << 20, 1ull << 40, 1ull << 63, UINT64_MAX};
#define NOFFSETS (sizeof OFFSETS / sizeof OFFSETS[0])
static uint64_t size_of_(uint8_t i) { return SIZES[i % NSIZES]; }
static uint64_t offset_of(uint8_t i) { return OFFSETS[i % NOFFSETS]; }

// Bytes to write: a pattern, so contents compare; filled as far as a write needs (most
// programs write little, and a fresh instance should not pay for a megabyte each run).
static uint8_t pattern_buf[WRITE_CAP];
static size_t pattern_len;
static uint8_t *pattern(uint64_t len) {
    if (len > WRITE_CAP) len = WRITE_CAP;
    for (; pattern_len < len; pattern_len++) pattern_buf[pattern_len] = 'A' + (pattern_len * 7 + pattern_len / 26) % 26;
    return pattern_buf;
}

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; }
    return h;
}
#define FNV0 2166136261u

// The output line being built.
static char line[4096];
static size_t line_len;
static void put(const char *s) {
    size_t n = strlen(s);
    if (line_len + n > sizeof line - 2) n = sizeof line - 2 - line_len;
    memcpy(line + line_len, s, n);
    line_len += n;
}
static void put_u(unsigned long long v) {
    char t[24]; int i = 23; t[i] = 0;
    do { t[--i] = '0' + v % 10; v /= 10; } while (v);
    put(t + i);
}
static void put_hex(uint32_t v) {
    char t[9];
    for (int i = 0; i < 8; i++) t[i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
    t[8] = 0;
    put(t);
}
static void put_esc(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n && line_len < sizeof line - 8; i++) {
        char c = p[i];
        if (c >= 0x21 && c < 0x7f && c != '\\') { char s[2] = {c, 0}; put(s); }
        else { put("\\"); put_u((uint8_t)c); }
    }
}
#endif
