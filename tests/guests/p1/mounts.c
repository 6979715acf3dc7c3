// A WASIp1 program (C + wasi-libc) for the containerd shim's tests, reading and writing the
// directories mounted into its container:
//   read PATH         prints the file
//   write PATH TEXT   writes TEXT to the file (created or truncated), prints `wrote PATH`
// A failure prints `error: MESSAGE` (strerror) and exits 1; bad arguments exit 2.
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(void) {
    printf("error: %s\n", strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "read") == 0) {
        FILE *f = fopen(argv[2], "r");
        if (!f) return fail();
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
        if (ferror(f)) return fail();
        fclose(f);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        FILE *f = fopen(argv[2], "w");
        if (!f) return fail();
        if (fputs(argv[3], f) < 0 || fclose(f) != 0) return fail();
        printf("wrote %s\n", argv[2]);
        return 0;
    }
    fprintf(stderr, "usage: mounts read PATH | mounts write PATH TEXT\n");
    return 2;
}
