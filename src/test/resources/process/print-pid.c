/* Test program for the process context tests: prints its pid, then
 *   --wait               waits until its stdin is closed (a process that exists before the tracer),
 *   --connect PORT N     makes N TCP connects to 127.0.0.1:PORT (refused or not, it goes on),
 * in this order when both are given, and exits. Other arguments are only there to be seen. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void connect_n(int port, int n) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0) {
            connect(fd, (struct sockaddr *)&a, sizeof a);
            close(fd);
        }
    }
}

int main(int argc, char **argv) {
    printf("%d\n", (int)getpid());
    fflush(stdout);
    int i = 1;
    if (i < argc && strcmp(argv[i], "--wait") == 0) {
        char buf[64];
        while (read(0, buf, sizeof buf) > 0) {
        }
        i++;
    }
    if (i + 2 < argc && strcmp(argv[i], "--connect") == 0) {
        connect_n(atoi(argv[i + 1]), atoi(argv[i + 2]));
    }
    return 0;
}
