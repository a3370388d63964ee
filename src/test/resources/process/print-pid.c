/* Test program for the process context tests: prints its pid and exits at once, or with
 * --wait first waits until its stdin is closed (a process that exists before the tracer). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    printf("%d\n", (int)getpid());
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
        char buf[64];
        while (read(0, buf, sizeof buf) > 0) {
        }
    }
    return 0;
}
