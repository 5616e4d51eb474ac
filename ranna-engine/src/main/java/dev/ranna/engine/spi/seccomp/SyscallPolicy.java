package dev.ranna.engine.spi.seccomp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which system calls a sandboxed program may not make, written once for every sandbox. The process
 * sandbox renders it as a classic BPF program for bubblewrap's {@code --seccomp}; the Docker sandbox as a
 * seccomp profile. Everything not {@linkplain #denials() denied} is allowed: the policy removes kernel
 * attack surface that unprivileged code can still reach, it does not enumerate what programs need.
 *
 * <p>Denied calls fail with {@code EPERM}, except those where {@code ENOSYS} makes libraries fall back
 * cleanly, as on a kernel without them: {@code io_uring_*} (liburing users, Tokio, libuv and others go
 * back to epoll or threads) and {@code clone3} (glibc falls back to {@code clone}, where the namespace
 * flags can be checked: {@code clone3} passes them in memory, out of a filter's reach).
 *
 * <p>Foreign ABIs: the only supported architecture is x86_64 ({@link SyscallTable}). A call through the
 * 32-bit entry points ({@code int 0x80}, {@code sysenter}: {@code seccomp_data.arch} is {@code
 * AUDIT_ARCH_I386}), from any other architecture, or through the x32 ABI (x86_64 numbers with {@link
 * SyscallTable#X32_SYSCALL_BIT} set) {@linkplain #foreignAbiKills() kills the process}: nothing a run
 * legitimately does uses them, and their system call numbers differ, so no rule of this policy would
 * apply. Docker (libseccomp's "bad architecture" action) does the same with a profile that lists only
 * x86_64. (The number -1, which a tracer sets to skip a call, is let through: the kernel skips it.)
 *
 * <p>{@code ptrace} stays allowed: a run can only reach its own processes (its own pid namespace and,
 * in both sandboxes, a uid no other run has), and since Linux 4.8 the kernel re-checks the filter after
 * a tracer changes a system call, so tracing cannot bypass it. Debuggers and LeakSanitizer need it.
 *
 * <p>Immutable and thread-safe.
 */
public final class SyscallPolicy {

    /** {@code EPERM}. */
    public static final int EPERM = 1;
    /** {@code ENOSYS}. */
    public static final int ENOSYS = 38;

    /** {@code CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET}. */
    public static final int CLONE_NEW_NAMESPACE_FLAGS =
            0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

    /** {@code personality(PER_LINUX)}, the default persona. */
    public static final int PER_LINUX = 0;
    /** {@code personality(0xffffffff)}: reads the persona without changing it. */
    public static final int PERSONALITY_QUERY = 0xffffffff;

    /**
     * When a denial applies, judged on one argument's low 32 bits (every argument checked here is an
     * {@code int} or flags that the kernel truncates to 32 bits, so the high half cannot smuggle
     * anything past the check).
     */
    public sealed interface Condition permits Always, AnyBitSet, NoneOf {}

    /** The call is always denied. */
    public record Always() implements Condition {}

    /** Denied when argument {@code arg} (0-5) has any bit of {@code mask} set. */
    public record AnyBitSet(int arg, int mask) implements Condition {
        public AnyBitSet {
            checkArg(arg);
        }
    }

    /** Denied unless argument {@code arg} (0-5) is one of {@code allowed}. */
    public record NoneOf(int arg, List<Integer> allowed) implements Condition {
        public NoneOf {
            checkArg(arg);
            allowed = List.copyOf(allowed);
        }
    }

    /**
     * One denied system call.
     *
     * @param syscall the kernel's name, as in {@code unistd_64.h}
     * @param errno what the call fails with
     * @param when when it is denied
     * @param reason why, for the documentation and logs
     */
    public record Denial(String syscall, int errno, Condition when, String reason) {
        public Denial {
            Objects.requireNonNull(syscall, "syscall");
            Objects.requireNonNull(when, "when");
            Objects.requireNonNull(reason, "reason");
            if (errno <= 0 || errno > 4095) {
                throw new IllegalArgumentException("errno out of range: " + errno);
            }
        }
    }

    private static final SyscallPolicy RANNA = buildRanna();

    private final List<Denial> denials;

    private SyscallPolicy(List<Denial> denials) {
        this.denials = List.copyOf(denials);
        Set<String> names = new LinkedHashSet<>();
        for (Denial denial : denials) {
            if (!names.add(denial.syscall())) {
                throw new IllegalArgumentException("denied twice: " + denial.syscall());
            }
        }
    }

    /** ranna's policy; the sandbox modules' READMEs list it with the reasons. */
    public static SyscallPolicy ranna() {
        return RANNA;
    }

    /** A policy of exactly these denials (tests, and a future configurable policy). */
    public static SyscallPolicy of(List<Denial> denials) {
        return new SyscallPolicy(denials);
    }

    /** The denied calls, in the order a filter checks them. */
    public List<Denial> denials() {
        return denials;
    }

    /** Whether a call through a foreign ABI (32-bit x86, x32, any non-x86_64 arch) kills the process: yes. */
    public boolean foreignAbiKills() {
        return true;
    }

    /**
     * The denials whose calls {@code table} lacks (such as a name from a newer kernel). A sandbox ignores
     * them: the call cannot be made on that architecture.
     */
    public List<String> unknownTo(SyscallTable table) {
        var unknown = new ArrayList<String>();
        for (Denial denial : denials) {
            if (table.number(denial.syscall()).isEmpty()) {
                unknown.add(denial.syscall());
            }
        }
        return unknown;
    }

    /** A short description for sandbox facts ({@code /v1/info}), e.g. {@code seccomp: 45 calls denied}. */
    public String summary(SyscallTable table) {
        return "seccomp " + table.arch() + ": "
                + (denials.size() - unknownTo(table).size())
                + " calls denied (io_uring, userfaultfd, bpf, namespaces, mounts, keys, ...), 32-bit and x32 calls kill";
    }

    private static void checkArg(int arg) {
        if (arg < 0 || arg > 5) {
            throw new IllegalArgumentException("system call argument index 0-5, got " + arg);
        }
    }

    private static SyscallPolicy buildRanna() {
        var d = new ArrayList<Denial>();
        Condition always = new Always();
        // Kernel attack surface reachable without privileges: the staples of recent local exploits.
        for (String name : List.of("io_uring_setup", "io_uring_enter", "io_uring_register")) {
            d.add(new Denial(name, ENOSYS, always, "io_uring: a large, often exploited kernel surface"));
        }
        d.add(new Denial("userfaultfd", EPERM, always, "pauses the kernel mid-copy, a race-exploit helper"));
        d.add(new Denial("bpf", EPERM, always, "eBPF verifier and maps"));
        d.add(new Denial("perf_event_open", EPERM, always, "perf events: exploit history, side channels"));
        // Keys: the keyring is per uid and global to the host, outside any namespace.
        for (String name : List.of("add_key", "keyctl", "request_key")) {
            d.add(new Denial(name, EPERM, always, "kernel keyrings are not namespaced"));
        }
        // Namespaces: new ones expose code written for root (user namespaces make it reachable).
        d.add(new Denial("unshare", EPERM, always, "new namespaces"));
        d.add(new Denial("setns", EPERM, always, "joining namespaces"));
        d.add(new Denial(
                "clone",
                EPERM,
                new AnyBitSet(0, CLONE_NEW_NAMESPACE_FLAGS),
                "clone with a CLONE_NEW* flag: new namespaces"));
        d.add(new Denial("clone3", ENOSYS, always, "its flags are in memory, out of the filter's reach"));
        // The mount family, old and new API.
        for (String name : List.of(
                "mount",
                "umount2",
                "pivot_root",
                "chroot",
                "fsopen",
                "fsmount",
                "fsconfig",
                "fspick",
                "move_mount",
                "open_tree",
                "mount_setattr")) {
            d.add(new Denial(name, EPERM, always, "mounts"));
        }
        // File handles bypass path permissions (the "shocker" container escape).
        d.add(new Denial("open_by_handle_at", EPERM, always, "opens files by handle, bypassing paths"));
        d.add(new Denial("name_to_handle_at", EPERM, always, "file handles"));
        // The machine itself.
        for (String name : List.of("kexec_load", "kexec_file_load", "reboot")) {
            d.add(new Denial(name, EPERM, always, "replaces or stops the kernel"));
        }
        for (String name : List.of("init_module", "finit_module", "delete_module", "create_module")) {
            d.add(new Denial(name, EPERM, always, "kernel modules"));
        }
        for (String name : List.of("swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog")) {
            d.add(new Denial(name, EPERM, always, "host administration"));
        }
        for (String name : List.of("iopl", "ioperm")) {
            d.add(new Denial(name, EPERM, always, "raw I/O ports"));
        }
        d.add(new Denial("uselib", EPERM, always, "obsolete a.out loader"));
        d.add(new Denial("lookup_dcookie", EPERM, always, "obsolete profiling interface"));
        d.add(new Denial("fanotify_init", EPERM, always, "filesystem-wide event monitoring"));
        d.add(new Denial(
                "personality",
                EPERM,
                new NoneOf(0, List.of(PER_LINUX, PERSONALITY_QUERY)),
                "personas other than the default (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...)"));
        return new SyscallPolicy(d);
    }

    @Override
    public String toString() {
        return "SyscallPolicy"
                + Arrays.toString(denials.stream().map(Denial::syscall).toArray());
    }
}
