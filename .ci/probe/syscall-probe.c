/*
 * syscall-probe: tries the system calls ranna's syscall filter denies and prints one line per call,
 * "name=RESULT", where RESULT is "ok" (the call succeeded or failed for a reason other than the filter,
 * errno shown) or the errno name, or "killed-SIGSYS" / "killed-<n>" when the call killed the process.
 * Each call runs in a child process so a kill shows up as a line, not the end of the probe.
 * Built static (gcc -static -O2 -o syscall-probe syscall-probe.c) into the test image by .ci/run.
 * Test support only: never part of a run image a server uses. Every call is made harmless even where it is
 * allowed (as root on a host): mount targets a path that does not exist, clone children exit at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLONE_NEWNS_ 0x00020000
#define CLONE_NEWUSER_ 0x10000000

static const char *errno_name(int e) {
    switch (e) {
        case EPERM: return "EPERM";
        case ENOSYS: return "ENOSYS";
        case EINVAL: return "EINVAL";
        case EBADF: return "EBADF";
        case EFAULT: return "EFAULT";
        case EACCES: return "EACCES";
        case ENOENT: return "ENOENT";
        case ENOMEM: return "ENOMEM";
        case EOPNOTSUPP: return "EOPNOTSUPP";
        case E2BIG: return "E2BIG";
        case ENODEV: return "ENODEV";
        case ENOTDIR: return "ENOTDIR";
        case EAGAIN: return "EAGAIN";
        default: return NULL;
    }
}

static char zero[4096];

static long attempt(const char *name) {
    if (!strcmp(name, "io_uring_setup")) return syscall(425, 1, zero);
    if (!strcmp(name, "io_uring_enter")) return syscall(426, -1, 0, 0, 0, NULL, 0);
    if (!strcmp(name, "io_uring_register")) return syscall(427, -1, 0, NULL, 0);
    if (!strcmp(name, "userfaultfd")) return syscall(323, 1 /* UFFD_USER_MODE_ONLY */);
    if (!strcmp(name, "bpf")) return syscall(321, 0 /* BPF_MAP_CREATE */, zero, 64);
    if (!strcmp(name, "perf_event_open")) return syscall(298, zero, 0, -1, -1, 0);
    if (!strcmp(name, "keyctl")) return syscall(250, 0 /* GET_KEYRING_ID */, -3 /* session */, 0);
    if (!strcmp(name, "add_key")) return syscall(248, "user", "ranna", "x", 1, -3);
    if (!strcmp(name, "unshare_newuser")) return syscall(272, CLONE_NEWUSER_);
    if (!strcmp(name, "setns")) return syscall(308, -1, 0);
    if (!strcmp(name, "mount")) return syscall(165, "none", "/nonexistent/ranna-probe", "tmpfs", 0, NULL);
    if (!strcmp(name, "open_by_handle_at")) return syscall(304, -1, zero, 0);
    if (!strcmp(name, "personality_linux32")) return syscall(135, 0x0008 /* PER_LINUX32 */);
    if (!strcmp(name, "clone3")) return syscall(435, zero, 0); /* size 0: EINVAL when allowed, nothing is created */
    if (!strcmp(name, "clone_newns") || !strcmp(name, "clone_plain")) {
        long flags = (name[6] == 'n' ? CLONE_NEWNS_ : 0) | SIGCHLD;
        long pid = syscall(56, flags, 0, 0, 0, 0);
        if (pid == 0) _exit(0);
        if (pid > 0) waitpid((pid_t)pid, NULL, 0);
        return pid;
    }
    if (!strcmp(name, "int80_getpid")) {
        long ret = 20; /* i386 getpid */
        __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
        if (ret < 0 && ret > -4096) { errno = (int)-ret; return -1; }
        return ret;
    }
    if (!strcmp(name, "x32_getpid")) return syscall(0x40000000 | 39);
    if (!strcmp(name, "getpid")) return syscall(39);
    errno = EINVAL;
    return -2;
}

static const char *ALL[] = {"getpid", "clone_plain", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "userfaultfd", "bpf", "perf_event_open", "keyctl", "add_key", "unshare_newuser", "setns", "mount",
    "open_by_handle_at", "personality_linux32", "clone3", "clone_newns", "int80_getpid", "x32_getpid", NULL};

static void probe(const char *name) {
    int fds[2];
    if (pipe(fds) != 0) { printf("%s=probe-error\n", name); return; }
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        errno = 0;
        long ret = attempt(name);
        char line[128];
        if (ret == -2) snprintf(line, sizeof line, "unknown-call");
        else if (ret < 0) {
            const char *n = errno_name(errno);
            if (n) snprintf(line, sizeof line, "%s", n); else snprintf(line, sizeof line, "errno-%d", errno);
        } else snprintf(line, sizeof line, "ok");
        if (write(fds[1], line, strlen(line)) < 0) _exit(3);
        _exit(0);
    }
    close(fds[1]);
    char buf[128] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status) && n <= 0) {
        if (WTERMSIG(status) == SIGSYS) printf("%s=killed-SIGSYS\n", name);
        else printf("%s=killed-%d\n", name, WTERMSIG(status));
    } else {
        printf("%s=%s\n", name, n > 0 ? buf : "no-answer");
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        for (int i = 1; i < argc; i++) probe(argv[i]);
    } else {
        for (int i = 0; ALL[i]; i++) probe(ALL[i]);
    }
    return 0;
}
