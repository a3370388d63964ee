/* Test program for the process context and listener tests: prints its pid, then
 *   --uid N              drops to uid and gid N (a process of another user),
 *   --wait               waits until its stdin is closed (a process that exists before the tracer),
 *   --connect PORT N     makes N TCP connects to 127.0.0.1:PORT (refused or not, it goes on),
 *   --connect-to ADDR PORT  connects to ADDR:PORT (127.0.0.1 or ::1), sends 10 bytes and closes;
 *                        exits 3 if the connect fails,
 *   --send ADDR PORT BYTES [CHUNK]  connects to ADDR:PORT, sends BYTES bytes (CHUNK of them a second
 *                        when CHUNK is given, else at once), shuts its side down, reads to EOF and
 *                        closes; exits 3 if the connect fails,
 *   --hold ADDR PORT N   opens N connections to ADDR:PORT, prints "held N", keeps them open until its
 *                        stdin is closed, then closes them,
 *   --serve ADDR [PORT]  listens on ADDR (127.0.0.1 or ::1) at PORT, or a port the kernel picks, and prints
 *                        the port, then obeys stdin, one command a line: "accept" accepts one
 *                        connection, reads it to EOF, closes it and prints "closed"; "listen" opens
 *                        one more listener on ADDR and prints its port; EOF ends it,
 * in this order when several are given, and exits. Other arguments are only there to be seen. */
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
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

/* addr (IPv4 or IPv6 text) and port into ss; its length. Exits on a bad address. */
static socklen_t address(const char *addr, int port, struct sockaddr_storage *ss) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)port);
        return sizeof *a4;
    }
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)port);
        return sizeof *a6;
    }
    fprintf(stderr, "bad address %s\n", addr);
    exit(2);
}

static int connect_to(const char *addr, int port) {
    struct sockaddr_storage ss;
    socklen_t len = address(addr, port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
        perror("connect-to");
        return 3;
    }
    if (write(fd, "0123456789", 10) != 10) {
        perror("write");
        return 3;
    }
    close(fd);
    return 0;
}

static int send_bytes(const char *addr, int port, long bytes, long chunk) {
    struct sockaddr_storage ss;
    socklen_t len = address(addr, port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
        perror("send");
        return 3;
    }
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    long left = bytes;
    while (left > 0) {
        long burst = chunk > 0 && chunk < left ? chunk : left;
        while (burst > 0) {
            ssize_t n = write(fd, buf, burst < (long)sizeof buf ? burst : (long)sizeof buf);
            if (n <= 0) {
                perror("write");
                return 3;
            }
            burst -= n;
            left -= n;
        }
        if (chunk > 0 && left > 0)
            sleep(1);
    }
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof buf) > 0) {
    }
    close(fd);
    return 0;
}

static int hold(const char *addr, int port, int n) {
    struct sockaddr_storage ss;
    socklen_t len = address(addr, port, &ss);
    int *fds = calloc((size_t)n, sizeof(int));
    for (int i = 0; i < n; i++) {
        fds[i] = socket(ss.ss_family, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&ss, len) != 0) {
            perror("hold");
            return 3;
        }
    }
    printf("held %d\n", n);
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return 0;
}

/* A listening socket on addr and port (0: the kernel picks); prints the port. Exits on failure. */
static int listen_on(const char *addr, int port) {
    struct sockaddr_storage ss;
    socklen_t len = address(addr, port, &ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0
            || getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        perror("listen");
        exit(2);
    }
    printf("%d\n", ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port));
    fflush(stdout);
    return fd;
}

static void serve(const char *addr, int port) {
    int fds[16];
    int n = 0;
    fds[n++] = listen_on(addr, port);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "listen", 6) == 0 && n < 16) {
            fds[n++] = listen_on(addr, 0);
        } else if (strncmp(line, "accept", 6) == 0) {
            /* the connection waits on one of the listeners: accept from the newest that has one */
            int c = -1;
            for (int i = n - 1; i >= 0 && c < 0; i--) {
                struct timeval none = {0, 0};
                fd_set ready;
                FD_ZERO(&ready);
                FD_SET(fds[i], &ready);
                if (select(fds[i] + 1, &ready, NULL, NULL, &none) == 1)
                    c = accept(fds[i], NULL, NULL);
            }
            if (c >= 0) {
                char buf[4096];
                while (read(c, buf, sizeof buf) > 0) {
                }
                close(c);
            }
            printf(c >= 0 ? "closed\n" : "nothing to accept\n");
            fflush(stdout);
        }
    }
}

int main(int argc, char **argv) {
    printf("%d\n", (int)getpid());
    fflush(stdout);
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--uid") == 0) {
        int id = atoi(argv[i + 1]);
        if (setgroups(0, NULL) != 0 || setgid(id) != 0 || setuid(id) != 0) {
            perror("--uid");
            return 2;
        }
        i += 2;
    }
    if (i < argc && strcmp(argv[i], "--wait") == 0) {
        char buf[64];
        while (read(0, buf, sizeof buf) > 0) {
        }
        i++;
    }
    if (i + 2 < argc && strcmp(argv[i], "--connect") == 0) {
        connect_n(atoi(argv[i + 1]), atoi(argv[i + 2]));
        i += 3;
    }
    if (i + 2 < argc && strcmp(argv[i], "--connect-to") == 0) {
        return connect_to(argv[i + 1], atoi(argv[i + 2]));
    }
    if (i + 3 < argc && strcmp(argv[i], "--send") == 0) {
        return send_bytes(argv[i + 1], atoi(argv[i + 2]), atol(argv[i + 3]), i + 4 < argc ? atol(argv[i + 4]) : 0);
    }
    if (i + 3 < argc && strcmp(argv[i], "--hold") == 0) {
        return hold(argv[i + 1], atoi(argv[i + 2]), atoi(argv[i + 3]));
    }
    if (i + 1 < argc && strcmp(argv[i], "--serve") == 0) {
        serve(argv[i + 1], i + 2 < argc ? atoi(argv[i + 2]) : 0);
    }
    return 0;
}
