// A WASIp1 sandbox walk (C + wasi-libc: every path-taking preview1 function is reached through
// libc). Under the preopen argv[1] it plants symlinks leading out — `up` -> "..", `root` ->
// "/" (refused: an absolute target), `chain` -> "up", `d/deep` -> "../..", `sec` ->
// "../canary/secret" — beside the two the host planted (`abs` -> "/", `abscanary` -> the
// canary's directory by its absolute path), and then calls every path-taking function on
// every way out: those symlinks and `..` with trailing "/", "/." and "/..", one line per call ("CALL PATH: ok" or "CALL PATH: error MESSAGE"). The
// differential test compares the lines with wasmtime-wasi 48.0.8's and checks that the tree
// beside the preopen (`canary/`) did not change. Mutating calls only take paths that lead into
// that tree or to names that do not exist, so a host that did escape harms nothing else.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;
static char buf[2][512];
static const char *P(int slot, const char *rel) {
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", root, rel);
    return buf[slot];
}
static void say(const char *call, const char *path, int rc) {
    if (rc < 0) printf("%s %s: error %s\n", call, path, strerror(errno));
    else printf("%s %s: ok\n", call, path);
}

// Ways out, for the calls that only look.
static const char *const LOOK[] = {
    "up", "up/", "up/.", "up/..", "up/canary", "up/canary/secret", "root", "root/", "root/.",
    "root/..", "root/etc/passwd", "chain", "chain/", "chain/.", "chain/..", "chain/canary/secret",
    "d/deep", "d/deep/", "d/deep/.", "d/deep/..", "d/deep/canary/secret", "sec", "sec/",
    "sec/.", "..", "../", "../.", "../canary/secret", "d/../..", "d/../../canary", "abs",
    "abs/", "abs/.", "abs/etc/passwd", "abscanary", "abscanary/", "abscanary/.",
    "abscanary/secret",
};
// Ways out, for the calls that change something: into the canary's tree or to nothing.
static const char *const TOUCH[] = {
    "up", "up/", "up/.", "up/canary", "up/canary/secret", "up/canary/new", "root/",
    "root/wasi-bridge-walk-nothing", "chain", "chain/", "chain/canary/secret", "chain/canary/new",
    "d/deep", "d/deep/", "d/deep/canary/secret", "sec", "sec/", "sec/.", "../canary/secret",
    "../canary/new", "d/../../canary/new", "abs/", "abs/wasi-bridge-walk-nothing",
    "abscanary/", "abscanary/secret", "abscanary/new",
    // Last: `unlink` removes the host's symlink itself, which the guest cannot plant again.
    "abscanary",
};
#define N(a) (sizeof a / sizeof a[0])

static void look(const char *rel) {
    const char *p = P(0, rel);
    struct stat st;
    say("stat", rel, stat(p, &st));
    say("lstat", rel, lstat(p, &st));
    char link[256];
    say("readlink", rel, (int)readlink(p, link, sizeof link));
    static const struct { const char *name; int flags; } opens[] = {
        { "open", O_RDONLY }, { "open-nofollow", O_RDONLY | O_NOFOLLOW },
        { "open-directory", O_RDONLY | O_DIRECTORY },
    };
    for (size_t i = 0; i < N(opens); i++) {
        int fd = open(p, opens[i].flags);
        say(opens[i].name, rel, fd);
        if (fd < 0) continue;
        char data[64];
        ssize_t n = read(fd, data, sizeof data);
        if (n < 0) printf("  read: error %s\n", strerror(errno)); else printf("  read: %zd bytes\n", n);
        close(fd);
    }
    DIR *d = opendir(p);
    say("opendir", rel, d ? 0 : -1);
    if (d) {
        int k = 0;
        while (readdir(d)) k++;
        printf("  entries: %d\n", k);
        closedir(d);
    }
}

static void touch(const char *rel) {
    const char *p = P(0, rel);
    struct timespec times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
    say("utimensat", rel, utimensat(AT_FDCWD, p, times, 0));
    say("utimensat-nofollow", rel, utimensat(AT_FDCWD, p, times, AT_SYMLINK_NOFOLLOW));
    int fd = open(p, O_WRONLY | O_APPEND);
    say("open-append", rel, fd);
    if (fd >= 0) { say("  write", rel, (int)write(fd, "!", 1)); close(fd); }
    fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
    say("open-create", rel, fd);
    if (fd >= 0) { close(fd); unlink(p); }
    int made = mkdir(p, 0755);
    say("mkdir", rel, made);
    if (made == 0) rmdir(p);
    say("rmdir", rel, rmdir(p));
    say("unlink", rel, unlink(p));
    // A rename that went through is undone, so each call starts from the same tree.
    int rc = rename(p, P(1, "moved"));
    say("rename-from", rel, rc);
    if (rc == 0) rename(P(1, "moved"), p);
    rc = rename(P(1, "a"), p);
    say("rename-to", rel, rc);
    if (rc == 0) rename(p, P(1, "a"));
    rc = link(p, P(1, "linked"));
    say("link-from", rel, rc);
    if (rc == 0) unlink(P(1, "linked"));
    rc = link(P(1, "a"), p);
    say("link-to", rel, rc);
    if (rc == 0) unlink(p);
    rc = symlink("a", p);
    say("symlink", rel, rc);
    if (rc == 0) unlink(p);
}

// Plants the file `a`, the directory `d` and the symlinks (again after a call removed one:
// `unlink up` removes the symlink itself, inside the preopen); `loud` prints the results.
static void plant(int loud) {
    static const char *const LINKS[][2] = {
        { "up", ".." }, { "root", "/" }, { "chain", "up" }, { "d/deep", "../.." },
        { "sec", "../canary/secret" },
    };
    if (access(P(0, "a"), F_OK) != 0) {
        FILE *f = fopen(P(0, "a"), "w");
        if (f) { fputs("inside\n", f); fclose(f); }
    }
    mkdir(P(0, "d"), 0755);
    for (size_t i = 0; i < N(LINKS); i++) {
        int rc = symlink(LINKS[i][1], P(0, LINKS[i][0]));
        if (loud) say("plant", LINKS[i][0], rc);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: walk PREOPEN\n"); return 2; }
    root = argv[1];
    plant(1);
    for (size_t i = 0; i < N(LOOK); i++) look(LOOK[i]);
    for (size_t i = 0; i < N(TOUCH); i++) { plant(0); touch(TOUCH[i]); }
    return 0;
}
