// A WASIp1 server on a preopened listener (fd 3, from `-S tcplisten=ADDR`): accepts N
// connections (argv[1]), answers what each sends with "echo: " and the bytes, shuts the
// connection down and reports; then shows the errors of socket calls on non-sockets.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1;
    for (int i = 0; i < n; i++) {
        int c = accept(3, NULL, NULL);
        if (c < 0) { printf("accept: error %s\n", strerror(errno)); return 1; }
        char buf[256];
        ssize_t r = recv(c, buf, sizeof buf, 0);
        if (r < 0) { printf("recv: error %s\n", strerror(errno)); return 1; }
        char out[300];
        int len = snprintf(out, sizeof out, "echo: %.*s", (int)r, buf);
        if (send(c, out, len, 0) != len) { printf("send: error %s\n", strerror(errno)); return 1; }
        if (shutdown(c, SHUT_WR) < 0) printf("shutdown: error %s\n", strerror(errno));
        close(c);
        printf("served %zd bytes\n", r);
        fflush(stdout);
    }
    if (accept(1, NULL, NULL) < 0) printf("accept on stdout: %s\n", strerror(errno));
    if (shutdown(1, SHUT_RDWR) < 0) printf("shutdown stdout: %s\n", strerror(errno));
    return 0;
}
