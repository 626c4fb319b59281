/*
 * A compromised daemon going after its sandbox's PID 1, the stop relay: every way it could
 * freeze it or write into it, each reported as "name result" (0 or the errno's name), then
 * it lives on as a daemon. On SIGTERM it writes "term" and exits 0.
 * Built statically by the tests (Support/Probes.cs); it needs nothing in the sandbox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

static void report(const char *what, long result)
{
    printf("%s %s\n", what, result < 0 ? strerrorname_np(errno) : "0");
    fflush(stdout);
}

static void on_term(int signal)
{
    (void)signal;
    static const char line[] = "term\n";
    write(1, line, sizeof line - 1);
    _exit(0);
}

int main(void)
{
    char buffer[16] = "overwrite";
    struct iovec local = { buffer, sizeof buffer };
    /* Any address will do: permission is checked before the address. */
    struct iovec remote = { (void *)0x10000, sizeof buffer };

    signal(SIGTERM, on_term);
    long seized = ptrace(PTRACE_SEIZE, 1, 0, 0);
    report("seize", seized);
    if (seized == 0)
        report("interrupt", ptrace(PTRACE_INTERRUPT, 1, 0, 0));
    report("attach", ptrace(PTRACE_ATTACH, 1, 0, 0));
    report("vm_writev", process_vm_writev(1, &local, 1, &remote, 1, 0));
    report("vm_readv", process_vm_readv(1, &local, 1, &remote, 1, 0));
    report("mem", open("/proc/1/mem", O_RDWR));
    /* PID 1 of a namespace takes from inside it only the signals it handles. */
    report("stop", kill(1, SIGSTOP));
    report("kill", kill(1, SIGKILL));
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
