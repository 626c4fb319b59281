/*
 * TCP on 127.0.0.1 for the [network] tests, in three modes; built statically by the tests
 * (Support/Probes.cs), so it needs nothing in a sandbox.
 *
 *   net-rules netns PORT... -- COMMAND ARGS...
 *       In a new network namespace with its loopback up, listens on each PORT, then runs
 *       COMMAND in it and exits with its status. The listeners accept nothing: a connect
 *       completes in their backlog.
 *   net-rules no-landlock -- COMMAND ARGS...
 *       Runs COMMAND under a seccomp filter that makes the three Landlock calls fail with
 *       ENOSYS, as on a kernel without Landlock; the filter holds for everything it starts.
 *   net-rules try WHAT:PORT...
 *       Tries each in turn and prints "WHAT PORT 0" or the errno's name. WHAT is connect or
 *       bind (TCP on 127.0.0.1), connect6 or bind6 (TCP on ::1), or udp (a datagram to
 *       127.0.0.1, sent with sendto).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "net-rules: %s: %s\n", what, strerror(errno));
    exit(111);
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

static char **command_after_dashes(char **argv)
{
    while (*argv && strcmp(*argv, "--") != 0)
        argv++;
    if (!*argv || !argv[1]) {
        fprintf(stderr, "net-rules: no command after --\n");
        exit(111);
    }
    return argv + 1;
}

static int netns(char **argv)
{
    char **command = command_after_dashes(argv);
    if (unshare(CLONE_NEWNET) != 0)
        die("unshare(CLONE_NEWNET)");
    int control = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq lo = { 0 };
    strcpy(lo.ifr_name, "lo");
    if (control < 0 || ioctl(control, SIOCGIFFLAGS, &lo) != 0)
        die("read lo's flags");
    lo.ifr_flags |= IFF_UP;
    if (ioctl(control, SIOCSIFFLAGS, &lo) != 0)
        die("bring lo up");
    for (char **port = argv; *port && strcmp(*port, "--") != 0; port++) {
        /* Close-on-exec: the listeners stay here, nothing the command starts inherits them. */
        int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in address = loopback(atoi(*port));
        if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 16) != 0)
            die("listen");
    }
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        execv(command[0], command);
        die(command[0]);
    }
    int status;
    if (waitpid(child, &status, 0) != child)
        die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int no_landlock(char **argv)
{
    char **command = command_after_dashes(argv);
    struct sock_filter program[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog filter = { sizeof program / sizeof program[0], program };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0)
        die("install the seccomp filter");
    execv(command[0], command);
    die(command[0]);
    return 111;
}

static int attempt(const char *what, int port)
{
    struct sockaddr_in address = loopback(port);
    struct sockaddr_in6 address6 = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    int six = strcmp(what, "connect6") == 0 || strcmp(what, "bind6") == 0;
    int udp = strcmp(what, "udp") == 0;
    int s = socket(six ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (s < 0)
        die("socket");
    struct sockaddr *to = six ? (struct sockaddr *)&address6 : (struct sockaddr *)&address;
    socklen_t length = six ? sizeof address6 : sizeof address;
    int result;
    if (udp)
        result = sendto(s, "x", 1, 0, to, length) == 1 ? 0 : -1;
    else if (strncmp(what, "bind", 4) == 0)
        result = bind(s, to, length);
    else
        result = connect(s, to, length);
    int error = errno;
    close(s);
    errno = error;
    return result;
}

static int try(char **argv)
{
    static const char *const known[] = { "connect", "bind", "connect6", "bind6", "udp" };
    for (; *argv; argv++) {
        char what[16];
        int port, valid = 0;
        if (sscanf(*argv, "%15[a-z0-9]:%d", what, &port) == 2)
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                valid |= strcmp(what, known[i]) == 0;
        if (!valid) {
            fprintf(stderr, "net-rules: %s is not WHAT:PORT (connect, bind, connect6, bind6, udp)\n", *argv);
            return 111;
        }
        int result = attempt(what, port);
        printf("%s %d %s\n", what, port, result == 0 ? "0" : strerrorname_np(errno));
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "netns") == 0)
        return netns(argv + 2);
    if (argc >= 2 && strcmp(argv[1], "no-landlock") == 0)
        return no_landlock(argv + 2);
    if (argc >= 2 && strcmp(argv[1], "try") == 0)
        return try(argv + 2);
    fprintf(stderr, "usage: net-rules netns PORT... -- COMMAND... | no-landlock -- COMMAND... | try WHAT:PORT...\n");
    return 111;
}
