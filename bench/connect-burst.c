// Load generator for ./tcptrace bench: COUNT TCP connects to HOST:PORT (a refused port by default,
// so each one is a full CLOSE -> SYN_SENT -> CLOSE in the kernel), as fast as one thread can, or
// paced at RATE per second. Prints "connects=N seconds=S rate=R" on stdout.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s HOST PORT COUNT [RATE]\n", argv[0]);
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "bad IPv4 address %s\n", argv[1]);
        return 2;
    }
    long count = atol(argv[3]);
    double rate = argc > 4 ? atof(argv[4]) : 0;
    double start = now();
    long failed = 0;
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            double due = start + i / rate;
            double wait = due - now();
            if (wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            failed++;
            continue;
        }
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != ECONNREFUSED)
            failed++;
        close(fd);
    }
    double secs = now() - start;
    printf("connects=%ld seconds=%.3f rate=%.0f failed=%ld\n", count, secs, count / secs, failed);
    return 0;
}
