/* Makes the system calls named on its command line, as a compromised daemon would, and
 * prints "NAME ERRNO" for each (0: the call worked). Used by EndToEnd/SeccompTests to
 * check a seccomp filter from inside a real sandbox. Raw syscalls: no libc fallback hides
 * what the filter answered. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

static long call(const char *name)
{
    char c = 'x';
    if (!strcmp(name, "getpid"))
        return syscall(SYS_getpid);
    if (!strcmp(name, "socket-inet") || !strcmp(name, "socket-packet")) {
        long fd = syscall(SYS_socket, name[7] == 'i' ? AF_INET : AF_PACKET, SOCK_DGRAM, 0);
        if (fd >= 0)
            close((int)fd);
        return fd;
    }
    if (!strcmp(name, "keyctl"))
        return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    /* A target that does not exist: allowed, with privilege, the call fails with ENOENT
     * and mounts nothing, wherever the probe runs. */
    if (!strcmp(name, "mount"))
        return syscall(SYS_mount, "none", "/nonexistent-seccomp-probe", "tmpfs", 0, 0);
    if (!strcmp(name, "bpf"))
        return syscall(SYS_bpf, 0, 0, 0);
    if (!strcmp(name, "userfaultfd"))
        return syscall(SYS_userfaultfd, 0);
    if (!strcmp(name, "unshare-user"))
        return syscall(SYS_unshare, CLONE_NEWUSER);
    if (!strcmp(name, "clone3"))
        return syscall(SYS_clone3, 0, 0);
    /* TIOCSTI with high bits set: the kernel reads the request's low 32 bits only. */
    if (!strcmp(name, "tiocsti"))
        return syscall(SYS_ioctl, -1, 0xFFFFFFFF00000000UL | TIOCSTI, &c); /* EBADF when allowed */
    if (!strcmp(name, "unknown"))
        return syscall(1000);
    fprintf(stderr, "seccomp-calls: unknown call %s\n", name);
    _exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        errno = 0;
        long result = call(argv[i]);
        printf("%s %d\n", argv[i], result < 0 ? errno : 0);
    }
    return 0;
}
