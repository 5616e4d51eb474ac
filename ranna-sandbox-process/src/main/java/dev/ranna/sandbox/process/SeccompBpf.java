package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.seccomp.SyscallPolicy;
import dev.ranna.engine.spi.seccomp.SyscallTable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Renders a {@link SyscallPolicy} as a classic BPF seccomp program: the array of {@code struct
 * sock_filter} ({@code u16 code; u8 jt; u8 jf; u32 k}, 8 bytes each, native byte order) that bubblewrap
 * reads from its {@code --seccomp} descriptor and installs before it executes the program.
 *
 * <p>The program, over {@code struct seccomp_data} ({@code nr} at offset 0, {@code arch} at 4, argument
 * i at 16 + 8i, low half first on little-endian x86_64)
 * (the same verdicts as Docker's libseccomp profile)
 *
 * <ol>
 *   <li>{@code arch != AUDIT_ARCH_X86_64}: kill the process (the 32-bit {@code int 0x80} entry and any
 *       other ABI);
 *   <li>{@code nr >= __X32_SYSCALL_BIT}: the x32 ABI, kill the process (but let {@code nr == -1}, a call
 *       a tracer skips, through);
 *   <li>each denial in turn: {@code nr ==} its number (and its argument condition) returns its errno;
 *   <li>otherwise allow.
 * </ol>
 *
 * Every jump is short and forward (at most a few instructions), so the 8-bit jump offsets never
 * overflow, whatever the number of denials. About 100 instructions for ranna's policy: tens of
 * nanoseconds per system call.
 */
final class SeccompBpf {

    static final int BPF_LD_W_ABS = 0x20;
    static final int BPF_JMP_JEQ_K = 0x15;
    static final int BPF_JMP_JGE_K = 0x35;
    static final int BPF_JMP_JSET_K = 0x45;
    static final int BPF_RET_K = 0x06;

    static final int SECCOMP_RET_KILL_PROCESS = 0x80000000;
    static final int SECCOMP_RET_ERRNO = 0x00050000;
    static final int SECCOMP_RET_ALLOW = 0x7fff0000;

    static final int OFFSET_NR = 0;
    static final int OFFSET_ARCH = 4;
    static final int OFFSET_ARGS = 16;

    /** The filter's file in the instance's work directory, beside {@code owner}; removed with it. */
    static final String FILE_NAME = "seccomp.bpf";

    /** Most instructions the kernel accepts in one program ({@code BPF_MAXINSNS}). */
    static final int MAX_INSTRUCTIONS = 4096;

    /** One instruction. */
    record Insn(int code, int jt, int jf, int k) {
        Insn {
            if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
                throw new IllegalArgumentException("jump offset out of range: " + jt + "/" + jf);
            }
        }
    }

    private SeccompBpf() {}

    /** The program's instructions. */
    static List<Insn> program(SyscallPolicy policy, SyscallTable table) {
        var p = new ArrayList<Insn>();
        p.add(new Insn(BPF_LD_W_ABS, 0, 0, OFFSET_ARCH));
        p.add(new Insn(BPF_JMP_JEQ_K, 1, 0, table.auditArch()));
        int foreign = policy.foreignAbiKills() ? SECCOMP_RET_KILL_PROCESS : errno(SyscallPolicy.ENOSYS);
        p.add(ret(foreign));
        p.add(new Insn(BPF_LD_W_ABS, 0, 0, OFFSET_NR));
        if (table.auditArch() == SyscallTable.AUDIT_ARCH_X86_64) {
            p.add(new Insn(BPF_JMP_JGE_K, 0, 3, SyscallTable.X32_SYSCALL_BIT));
            p.add(new Insn(BPF_JMP_JEQ_K, 1, 0, 0xffffffff));
            p.add(ret(foreign));
            p.add(ret(SECCOMP_RET_ALLOW));
        }
        for (SyscallPolicy.Denial denial : policy.denials()) {
            OptionalInt nr = table.number(denial.syscall());
            if (nr.isEmpty()) {
                continue;
            }
            int deny = errno(denial.errno());
            if (denial.when() instanceof SyscallPolicy.Always) {
                p.add(new Insn(BPF_JMP_JEQ_K, 0, 1, nr.getAsInt()));
                p.add(ret(deny));
            } else if (denial.when() instanceof SyscallPolicy.AnyBitSet bits) {
                // nr matches: load the argument, deny if any bit is set, else allow (A no longer holds nr).
                p.add(new Insn(BPF_JMP_JEQ_K, 0, 4, nr.getAsInt()));
                p.add(new Insn(BPF_LD_W_ABS, 0, 0, OFFSET_ARGS + 8 * bits.arg()));
                p.add(new Insn(BPF_JMP_JSET_K, 0, 1, bits.mask()));
                p.add(ret(deny));
                p.add(ret(SECCOMP_RET_ALLOW));
            } else if (denial.when() instanceof SyscallPolicy.NoneOf none) {
                int n = none.allowed().size();
                if (n > 200) {
                    throw new IllegalArgumentException("too many allowed values for " + denial.syscall());
                }
                p.add(new Insn(BPF_JMP_JEQ_K, 0, n + 3, nr.getAsInt()));
                p.add(new Insn(BPF_LD_W_ABS, 0, 0, OFFSET_ARGS + 8 * none.arg()));
                for (int i = 0; i < n; i++) {
                    p.add(new Insn(BPF_JMP_JEQ_K, n - i, 0, none.allowed().get(i)));
                }
                p.add(ret(deny));
                p.add(ret(SECCOMP_RET_ALLOW));
            } else {
                throw new IllegalArgumentException("unknown condition " + denial.when());
            }
        }
        p.add(ret(SECCOMP_RET_ALLOW));
        if (p.size() > MAX_INSTRUCTIONS) {
            throw new IllegalArgumentException("seccomp program too long: " + p.size() + " instructions");
        }
        return p;
    }

    /** The program as bubblewrap reads it: {@code struct sock_filter[]}, little endian. */
    static byte[] render(SyscallPolicy policy, SyscallTable table) {
        List<Insn> program = program(policy, table);
        ByteBuffer out = ByteBuffer.allocate(8 * program.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (Insn insn : program) {
            out.putShort((short) insn.code());
            out.put((byte) insn.jt());
            out.put((byte) insn.jf());
            out.putInt(insn.k());
        }
        return out.array();
    }

    /** ranna's policy for this host's architecture; empty if the architecture is not supported. */
    static Optional<byte[]> forHost() {
        return SyscallTable.host().map(table -> render(SyscallPolicy.ranna(), table));
    }

    /** For the sandbox facts: what the filter does, or why runs have none. */
    static String describe(boolean isolated, ProcessSandboxConfig config) {
        if (!isolated) {
            return "none (no isolation)";
        }
        if (!config.seccomp()) {
            return "none (" + ProcessSandboxConfig.SECCOMP + "=off)";
        }
        return SyscallTable.host()
                .map(table -> SyscallPolicy.ranna().summary(table))
                .orElse("none (unsupported architecture)");
    }

    /**
     * Writes the filter for this host into {@code directory} (mode 0600: the launcher opens it before
     * dropping root) and returns its path.
     *
     * @throws IllegalStateException if this architecture is not supported
     */
    static Path write(Path directory) throws IOException {
        byte[] program = forHost().orElseThrow(() -> new IllegalStateException(unsupported()));
        Path file = directory.resolve(FILE_NAME);
        Files.write(file, program, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** Why the filter cannot be made here. */
    static String unsupported() {
        return "the syscall filter supports x86_64 only, this host is " + System.getProperty("os.arch") + "; set "
                + ProcessSandboxConfig.SECCOMP + "=off to run programs without it";
    }

    private static Insn ret(int value) {
        return new Insn(BPF_RET_K, 0, 0, value);
    }

    private static int errno(int errno) {
        return SECCOMP_RET_ERRNO | (errno & 0xffff);
    }
}
