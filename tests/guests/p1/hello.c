// A WASIp1 program (C + wasi-libc) run through the preview1 command adapter.
// Prints its arguments and one environment variable, echoes stdin to stdout, writes to
// stderr, and exits with the status given as argv[1] (default 0).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    printf("hello from wasip1\n");
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *g = getenv("GREETING");
    printf("GREETING=%s\n", g ? g : "(unset)");
    char buf[512];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) { fwrite(buf, 1, n, stdout); total += n; }
    printf("stdin bytes: %zu\n", total);
    fprintf(stderr, "a line on stderr\n");
    return argc > 1 ? atoi(argv[1]) : 0;
}
