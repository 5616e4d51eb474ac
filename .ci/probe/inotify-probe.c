/*
 * inotify-probe: opens inotify instances until the kernel refuses one, prints
 * "inotify <count> <errno>" and then holds them until it is killed.
 * Static, no libc, x86_64 only. Used by DockerIdentityTest and ranna-it's SharedIdentityTest, which
 * send it into a run as base64 (probes/inotify-probe.b64 in their test resources), so it works in any
 * image without rebuilding it.
 * Build: gcc -Os -static -nostdlib -fno-stack-protector -fno-asynchronous-unwind-tables \
 *            -Wl,--build-id=none -s -o inotify-probe inotify-probe.c
 *        base64 inotify-probe > <module>/src/test/resources/probes/inotify-probe.b64
 */
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static int put(char *b, int i, long v) {
    char t[24];
    int n = 0;
    do {
        t[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        b[i++] = t[--n];
    }
    return i;
}

__attribute__((force_align_arg_pointer)) void _start(void) {
    long count = 0;
    long error = 0;
    while (count < 4096) {
        long fd = sys3(294 /* inotify_init1 */, 0, 0, 0);
        if (fd < 0) {
            error = -fd;
            break;
        }
        count++;
    }
    char b[64] = "inotify ";
    int i = put(b, 8, count);
    b[i++] = ' ';
    i = put(b, i, error);
    b[i++] = '\n';
    sys3(1 /* write */, 1, (long) b, i);
    for (;;) {
        sys3(34 /* pause */, 0, 0, 0);
    }
}
