// A WASIp1 program doing real file work under the preopened directory given as argv[1]:
// create, write, read back, seek, append, rename, mkdir, readdir, stat, symlink, readlink,
// hard link, truncate, unlink, rmdir, and the errors of bad requests (sandbox escapes,
// missing files, writes to read-only places). Every result is printed, so a differential test
// compares both the output and the resulting directory tree.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;
static char pathbuf[4][512];
static const char *P(int slot, const char *rel) {
    snprintf(pathbuf[slot], sizeof pathbuf[slot], "%s/%s", root, rel);
    return pathbuf[slot];
}
static void report(const char *what, int rc) {
    if (rc < 0) printf("%s: error %s\n", what, strerror(errno));
    else printf("%s: ok\n", what);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void list(const char *rel) {
    DIR *d = opendir(P(0, rel));
    if (!d) { printf("opendir %s: error %s\n", rel, strerror(errno)); return; }
    char *names[256]; int n = 0; struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char buf[300];
        snprintf(buf, sizeof buf, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : "");
        names[n++] = strdup(buf);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("ls %s:", rel);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(int argc, char **argv) {
    root = argc > 1 ? argv[1] : ".";
    const char *mode = argc > 2 ? argv[2] : "work";
    if (!strcmp(mode, "cp")) {
        // cp SRC DST with a 64 KiB buffer (the p1 benchmark)
        FILE *in = fopen(P(0, argv[3]), "rb"), *out = fopen(P(1, argv[4]), "wb");
        if (!in || !out) { printf("cp: error %s\n", strerror(errno)); return 1; }
        static char buf[65536]; size_t n, total = 0;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0) { fwrite(buf, 1, n, out); total += n; }
        fclose(in); fclose(out);
        printf("copied %zu bytes\n", total);
        return 0;
    }
    if (!strcmp(mode, "readonly")) {
        FILE *f = fopen(P(0, "new.txt"), "w");
        printf("create in read-only dir: %s\n", f ? "ok" : strerror(errno));
        report("mkdir in read-only dir", mkdir(P(0, "newdir"), 0755));
        report("unlink in read-only dir", unlink(P(0, "input.txt")));
        report("rename in read-only dir", rename(P(0, "input.txt"), P(1, "moved.txt")));
        int fd = open(P(0, "input.txt"), O_RDONLY);
        char buf[64]; ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (n >= 0) { buf[n] = 0; printf("read in read-only dir: %s", buf); } else printf("read: error %s\n", strerror(errno));
        if (fd >= 0) close(fd);
        return 0;
    }

    // create + write + read back
    FILE *f = fopen(P(0, "a.txt"), "w");
    if (!f) { printf("fopen a.txt: %s\n", strerror(errno)); return 1; }
    fprintf(f, "hello file\nsecond line\n");
    fclose(f);
    f = fopen(P(0, "a.txt"), "r");
    char line[128];
    while (fgets(line, sizeof line, f)) printf("read: %s", line);
    // seek
    fseek(f, 6, SEEK_SET);
    printf("after seek: %c%c%c%c\n", fgetc(f), fgetc(f), fgetc(f), fgetc(f));
    printf("tell: %ld\n", ftell(f));
    fclose(f);
    // append
    f = fopen(P(0, "a.txt"), "a");
    fprintf(f, "appended\n");
    fclose(f);
    // pwrite / pread through fds
    int fd = open(P(0, "b.bin"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    report("open b.bin", fd);
    printf("pwrite: %zd\n", pwrite(fd, "0123456789", 10, 5));
    char pb[8] = {0};
    printf("pread: %zd ", pread(fd, pb, 4, 7)); printf("[%.4s]\n", pb);
    report("ftruncate", ftruncate(fd, 8));
    struct stat st;
    report("fstat", fstat(fd, &st));
    printf("size after truncate: %lld, regular: %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    close(fd);
    // stat
    report("stat a.txt", stat(P(0, "a.txt"), &st));
    printf("a.txt size %lld nlink %llu\n", (long long)st.st_size, (unsigned long long)st.st_nlink);
    // mkdir, rename, readdir
    report("mkdir sub", mkdir(P(0, "sub"), 0755));
    report("mkdir sub again", mkdir(P(0, "sub"), 0755));
    report("rename a.txt -> sub/c.txt", rename(P(0, "a.txt"), P(1, "sub/c.txt")));
    report("stat a.txt after rename", stat(P(0, "a.txt"), &st));
    list("."); list("sub");
    // symlink + readlink + lstat
    report("symlink", symlink("sub/c.txt", P(0, "link")));
    char target[128]; ssize_t tl = readlink(P(0, "link"), target, sizeof target - 1);
    if (tl >= 0) { target[tl] = 0; printf("readlink: %s\n", target); } else printf("readlink: error %s\n", strerror(errno));
    report("lstat link", lstat(P(0, "link"), &st));
    printf("link is symlink: %d\n", S_ISLNK(st.st_mode));
    f = fopen(P(0, "link"), "r");
    printf("read through link: %s", f && fgets(line, sizeof line, f) ? line : "(failed)\n");
    if (f) fclose(f);
    // hard link
    report("link", link(P(0, "sub/c.txt"), P(1, "hard.txt")));
    report("stat hard.txt", stat(P(0, "hard.txt"), &st));
    printf("nlink after hard link: %llu\n", (unsigned long long)st.st_nlink);
    // sandbox: escapes and absolute paths
    report("open ../escape", open(P(0, "../escape.txt"), O_CREAT | O_WRONLY, 0644));
    report("symlink escape", symlink("../../etc/passwd", P(0, "evil")));
    report("open through escaping symlink", open(P(0, "evil"), O_RDONLY));
    report("open missing", open(P(0, "missing.txt"), O_RDONLY));
    report("rmdir non-empty", rmdir(P(0, "sub")));
    report("unlink directory", unlink(P(0, "sub")));
    report("open dir for write", open(P(0, "sub"), O_WRONLY));
    // times, sync, advice
    struct timespec ts[2] = { { .tv_sec = 1000000000, .tv_nsec = 0 }, { .tv_sec = 1234567890, .tv_nsec = 500 } };
    report("utimensat", utimensat(AT_FDCWD, P(0, "sub/c.txt"), ts, 0));
    report("stat c.txt", stat(P(0, "sub/c.txt"), &st));
    printf("mtime: %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    fd = open(P(0, "sub/c.txt"), O_RDWR);
    struct timespec now[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = 1500000000, .tv_nsec = 0 } };
    report("futimens", futimens(fd, now));
    report("fsync", fsync(fd));
    report("fdatasync", fdatasync(fd));
    printf("posix_fadvise: %d\n", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    fstat(fd, &st);
    printf("mtime after futimens: %lld\n", (long long)st.st_mtim.tv_sec);
    close(fd);
    // symlink loops and chains out of the sandbox
    report("symlink loop a", symlink("loop-b", P(0, "loop-a")));
    report("symlink loop b", symlink("loop-a", P(0, "loop-b")));
    report("open through a loop", open(P(0, "loop-a"), O_RDONLY));
    report("symlink chain 1", symlink("chain-2", P(0, "chain-1")));
    report("symlink chain 2", symlink("sub/../../outside", P(0, "chain-2")));
    report("open through a chain leaving the sandbox", open(P(0, "chain-1"), O_RDONLY | O_CREAT, 0644));
    report("stat absolute path", stat("/etc/passwd", &st));
    report("unlink loop-a", unlink(P(0, "loop-a")));
    report("unlink loop-b", unlink(P(0, "loop-b")));
    report("unlink chain-1", unlink(P(0, "chain-1")));
    report("unlink chain-2", unlink(P(0, "chain-2")));
    // clean up some of it
    report("unlink hard.txt", unlink(P(0, "hard.txt")));
    report("unlink link", unlink(P(0, "link")));
    report("unlink evil", unlink(P(0, "evil")));
    list(".");
    return 0;
}
