// Load generator for ./tcptrace bench: COUNT TCP connects from one thread to HOST:PORT.
//
//   connect-burst [-e] [-b CORE] [-d SECONDS] HOST PORT COUNT [RATE]
//
// Default: PORT is refused, so each connect is a full CLOSE -> SYN_SENT -> CLOSE in the kernel.
// -e  established: a server thread of this process listens on HOST:PORT, accepts, reads to EOF
//     and closes; the client connects and closes first. Each connection then has a connect, an
//     accept and a close on both sides.
// -b  busy core: a child process pinned to CPU CORE spins for the whole run (contention runs).
// RATE paces the connects at RATE per second (0 or absent: as fast as one thread can); with
// -d, COUNT is replaced by RATE * SECONDS.
//
// Prints one line: "connects=N seconds=S rate=R failed=F target=T min_1s=M max_behind_ms=L
// accepted=A": the achieved rate over the run, the slowest whole second, and how far the
// connects fell behind the schedule at worst (paced runs).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_for(double seconds) {
    struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

// Spins on one CPU until killed, or until the parent dies.
static pid_t start_busy_core(int core) {
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid > 0) {
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        perror("sched_setaffinity");
        _exit(1);
    }
    volatile unsigned long spin = 0;
    for (;;) {
        spin++;
    }
}

static volatile long accepted;

static void *serve(void *arg) {
    int listener = *(int *)arg;
    char buf[256];
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            return NULL; // the listener was shut down
        }
        while (read(fd, buf, sizeof(buf)) > 0) {
        }
        close(fd);
        __atomic_add_fetch(&accepted, 1, __ATOMIC_RELAXED);
    }
}

static int start_server(const struct sockaddr_in *addr, pthread_t *thread) {
    static int listener;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (listener < 0 || bind(listener, (const struct sockaddr *)addr, sizeof(*addr)) != 0
            || listen(listener, 4096) != 0) {
        perror("server on HOST:PORT");
        exit(1);
    }
    if (pthread_create(thread, NULL, serve, &listener) != 0) {
        fprintf(stderr, "cannot start the server thread\n");
        exit(1);
    }
    return listener;
}

static void usage(const char *self) {
    fprintf(stderr, "usage: %s [-e] [-b CORE] [-d SECONDS] HOST PORT COUNT [RATE]\n", self);
    exit(2);
}

int main(int argc, char **argv) {
    int established = 0, busy_core = -1;
    double duration = 0;
    for (int opt; (opt = getopt(argc, argv, "eb:d:")) != -1;) {
        switch (opt) {
        case 'e': established = 1; break;
        case 'b': busy_core = atoi(optarg); break;
        case 'd': duration = atof(optarg); break;
        default: usage(argv[0]);
        }
    }
    if (argc - optind < 3) {
        usage(argv[0]);
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[optind + 1]))};
    if (inet_pton(AF_INET, argv[optind], &addr.sin_addr) != 1) {
        fprintf(stderr, "bad IPv4 address %s\n", argv[optind]);
        return 2;
    }
    long count = atol(argv[optind + 2]);
    double rate = argc - optind > 3 ? atof(argv[optind + 3]) : 0;
    if (duration > 0) {
        if (rate <= 0) {
            fprintf(stderr, "-d SECONDS needs a RATE\n");
            return 2;
        }
        count = (long)(rate * duration);
    }
    // nanosleep's default 50 us slack would make every paced wait late.
    prctl(PR_SET_TIMERSLACK, 1000UL);

    pthread_t server;
    int listener = established ? start_server(&addr, &server) : -1;
    pid_t busy = busy_core >= 0 ? start_busy_core(busy_core) : 0;

    double start = now();
    long failed = 0, second_count = 0, min_second = -1;
    double second_start = start, max_behind = 0;
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            double late = now() - (start + i / rate);
            if (late < -100e-6) {
                sleep_for(-late); // ahead of the schedule by more than 100 us
            } else if (late > max_behind) {
                max_behind = late;
            }
        }
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            failed++;
            continue;
        }
        int r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
        if (r != 0 && (established || errno != ECONNREFUSED)) {
            failed++;
        }
        close(fd);
        second_count++;
        if ((i & 63) == 0) {
            double t = now();
            if (t - second_start >= 1.0) {
                long per_second = (long)(second_count / (t - second_start));
                if (min_second < 0 || per_second < min_second) {
                    min_second = per_second;
                }
                second_start = t;
                second_count = 0;
            }
        }
    }
    double secs = now() - start;
    if (busy > 0) {
        kill(busy, SIGKILL);
        waitpid(busy, NULL, 0);
    }
    if (established) {
        // Every connection accepted and closed by the server before the report.
        double deadline = now() + 10;
        while (__atomic_load_n(&accepted, __ATOMIC_RELAXED) < count - failed && now() < deadline) {
            sleep_for(0.01);
        }
        shutdown(listener, SHUT_RDWR);
        pthread_join(server, NULL);
        close(listener);
    }
    printf("connects=%ld seconds=%.3f rate=%.0f failed=%ld target=%.0f min_1s=%ld max_behind_ms=%.1f accepted=%ld\n",
            count, secs, count / secs, failed, rate, min_second < 0 ? (long)(count / secs) : min_second,
            max_behind * 1000, established ? accepted : 0);
    return 0;
}
