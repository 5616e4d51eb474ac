package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.seccomp.SyscallPolicy;
import dev.ranna.engine.spi.seccomp.SyscallTable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The generated BPF program, run through a small interpreter of the instructions it uses (the kernel's
 * semantics: 32-bit accumulator, jumps relative to the next instruction) over {@code seccomp_data}.
 */
class SeccompBpfTest {
    private static final SyscallTable X86_64 = SyscallTable.x86_64();
    private static final int AUDIT_ARCH_I386 = 0x40000003;
    private static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;
    private static final int ALLOW = SeccompBpf.SECCOMP_RET_ALLOW;
    private static final int KILL = SeccompBpf.SECCOMP_RET_KILL_PROCESS;
    private static final int EPERM = SeccompBpf.SECCOMP_RET_ERRNO | 1;
    private static final int ENOSYS = SeccompBpf.SECCOMP_RET_ERRNO | 38;

    private static final List<SeccompBpf.Insn> RANNA = decode(SeccompBpf.render(SyscallPolicy.ranna(), X86_64));

    @Test
    void ordinaryCallsAreAllowed() {
        for (String name : List.of(
                "read", "write", "openat", "mmap", "execve", "wait4", "futex", "epoll_wait", "ptrace", "getpid")) {
            assertThat(verdict(name)).as(name).isEqualTo(ALLOW);
        }
        // Every call of the table that the policy does not name.
        var denied = SyscallPolicy.ranna().denials().stream()
                .map(SyscallPolicy.Denial::syscall)
                .toList();
        X86_64.all().forEach((name, nr) -> {
            if (!denied.contains(name)) {
                assertThat(run(RANNA, X86_64.auditArch(), nr, 0)).as(name).isEqualTo(ALLOW);
            }
        });
    }

    @Test
    void everyDenialReturnsItsErrno() {
        assertThat(verdict("io_uring_setup")).isEqualTo(ENOSYS);
        assertThat(verdict("io_uring_enter")).isEqualTo(ENOSYS);
        assertThat(verdict("io_uring_register")).isEqualTo(ENOSYS);
        assertThat(verdict("clone3")).isEqualTo(ENOSYS);
        for (String name : List.of("userfaultfd", "bpf", "perf_event_open", "keyctl", "unshare", "setns", "mount")) {
            assertThat(verdict(name)).as(name).isEqualTo(EPERM);
        }
        for (SyscallPolicy.Denial denial : SyscallPolicy.ranna().denials()) {
            if (denial.when() instanceof SyscallPolicy.Always) {
                assertThat(verdict(denial.syscall()))
                        .as(denial.syscall())
                        .isEqualTo(SeccompBpf.SECCOMP_RET_ERRNO | denial.errno());
            }
        }
    }

    @Test
    void cloneIsDeniedWithAnyNamespaceFlagOnly() {
        int sigchld = 17;
        assertThat(verdict("clone", sigchld)).isEqualTo(ALLOW);
        // What glibc's pthread_create passes.
        assertThat(verdict("clone", 0x003d0f00)).isEqualTo(ALLOW);
        for (int flag : List.of(0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)) {
            assertThat(verdict("clone", flag | sigchld)).as("flag %x", flag).isEqualTo(EPERM);
        }
        // The kernel reads clone's flags as 32 bits: bits above do not create namespaces.
        assertThat(verdict("clone", (1L << 40) | sigchld)).isEqualTo(ALLOW);
    }

    @Test
    void personalityMayOnlyBeQueriedOrReset() {
        assertThat(verdict("personality", 0)).isEqualTo(ALLOW);
        assertThat(verdict("personality", 0xffffffffL)).isEqualTo(ALLOW);
        assertThat(verdict("personality", 0x0008)).isEqualTo(EPERM); // PER_LINUX32
        assertThat(verdict("personality", 0x0040000)).isEqualTo(EPERM); // ADDR_NO_RANDOMIZE
        assertThat(verdict("personality", 0x0400000)).isEqualTo(EPERM); // READ_IMPLIES_EXEC
        assertThat(verdict("personality", (1L << 32) | 0x0008)).isEqualTo(EPERM);
    }

    @Test
    void foreignAbisAndX32AreKilled() {
        // int 0x80 getpid (20 on i386), and what would be io_uring_setup there: both killed, whatever nr.
        assertThat(run(RANNA, AUDIT_ARCH_I386, 20, 0)).isEqualTo(KILL);
        assertThat(run(RANNA, AUDIT_ARCH_I386, 425, 0)).isEqualTo(KILL);
        assertThat(run(RANNA, AUDIT_ARCH_AARCH64, 0, 0)).isEqualTo(KILL);
        assertThat(run(RANNA, X86_64.auditArch(), SyscallTable.X32_SYSCALL_BIT | 39, 0))
                .isEqualTo(KILL);
        assertThat(run(RANNA, X86_64.auditArch(), SyscallTable.X32_SYSCALL_BIT | 425, 0))
                .isEqualTo(KILL);
        assertThat(run(RANNA, X86_64.auditArch(), 0x7fffffff, 0)).isEqualTo(KILL);
        // -1: a call a tracer skipped; the kernel does nothing with it.
        assertThat(run(RANNA, X86_64.auditArch(), -1, 0)).isEqualTo(ALLOW);
    }

    @Test
    void theBytesAreLittleEndianSockFilters() {
        byte[] bytes = SeccompBpf.render(SyscallPolicy.ranna(), X86_64);
        assertThat(bytes.length % 8).isZero();
        // ld [4]: code 0x0020, jt 0, jf 0, k 4.
        assertThat(java.util.Arrays.copyOf(bytes, 8)).containsExactly(0x20, 0, 0, 0, 4, 0, 0, 0);
        // jeq AUDIT_ARCH_X86_64 (0xC000003E), jt 1, jf 0.
        assertThat(java.util.Arrays.copyOfRange(bytes, 8, 16)).containsExactly(0x15, 0, 1, 0, 0x3E, 0, 0, (byte) 0xC0);
        assertThat(decode(bytes)).isEqualTo(SeccompBpf.program(SyscallPolicy.ranna(), X86_64));
        assertThat(RANNA.size()).isLessThan(200);
    }

    @Test
    void everyPathEndsInAReturnWithinTheProgram() {
        // The interpreter throws on a jump past the end; try every table number with hostile arguments.
        for (int nr = 0; nr < 600; nr++) {
            for (long arg : List.of(0L, -1L, 0x7E020000L, 0x8L)) {
                assertThat(run(RANNA, X86_64.auditArch(), nr, arg)).isIn(ALLOW, EPERM, ENOSYS);
            }
        }
    }

    @Test
    void aDenialOfACallTheTableLacksIsSkippedAndLongConditionsAreRejected() {
        var always = new SyscallPolicy.Always();
        var policy = SyscallPolicy.of(List.of(
                new SyscallPolicy.Denial("not_a_call", 1, always, "x"),
                new SyscallPolicy.Denial("getpid", 13, always, "x")));
        var program = SeccompBpf.program(policy, X86_64);
        assertThat(run(program, X86_64.auditArch(), 39, 0)).isEqualTo(SeccompBpf.SECCOMP_RET_ERRNO | 13);
        assertThat(run(program, X86_64.auditArch(), 0, 0)).isEqualTo(ALLOW);
        var values = new ArrayList<Integer>();
        for (int i = 0; i < 300; i++) {
            values.add(i);
        }
        var tooLong = SyscallPolicy.of(
                List.of(new SyscallPolicy.Denial("personality", 1, new SyscallPolicy.NoneOf(0, values), "x")));
        assertThatThrownBy(() -> SeccompBpf.program(tooLong, X86_64)).hasMessageContaining("too many");
    }

    private static int verdict(String name, long arg0) {
        return run(RANNA, X86_64.auditArch(), X86_64.number(name).orElseThrow(), arg0);
    }

    private static int verdict(String name) {
        return verdict(name, 0);
    }

    /** Runs {@code program} over a {@code seccomp_data} of x86_64 layout; returns the verdict. */
    static int run(List<SeccompBpf.Insn> program, int arch, int nr, long arg0) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr);
        data.putInt(4, arch);
        data.putLong(8, 0x401000L); // instruction pointer
        data.putLong(16, arg0);
        int a = 0;
        int pc = 0;
        for (int steps = 0; steps < 10_000; steps++) {
            if (pc < 0 || pc >= program.size()) {
                throw new AssertionError("jumped out of the program to " + pc);
            }
            SeccompBpf.Insn insn = program.get(pc++);
            switch (insn.code()) {
                case SeccompBpf.BPF_LD_W_ABS -> {
                    if (insn.k() < 0 || insn.k() > 60 || insn.k() % 4 != 0) {
                        throw new AssertionError("bad load offset " + insn.k());
                    }
                    a = data.getInt(insn.k());
                }
                case SeccompBpf.BPF_JMP_JEQ_K -> pc += a == insn.k() ? insn.jt() : insn.jf();
                case SeccompBpf.BPF_JMP_JGE_K ->
                    pc += Integer.compareUnsigned(a, insn.k()) >= 0 ? insn.jt() : insn.jf();
                case SeccompBpf.BPF_JMP_JSET_K -> pc += (a & insn.k()) != 0 ? insn.jt() : insn.jf();
                case SeccompBpf.BPF_RET_K -> {
                    return insn.k();
                }
                default -> throw new AssertionError("unexpected opcode " + insn.code());
            }
        }
        throw new AssertionError("no return");
    }

    private static List<SeccompBpf.Insn> decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        var program = new ArrayList<SeccompBpf.Insn>();
        while (in.hasRemaining()) {
            int code = in.getShort() & 0xffff;
            int jt = in.get() & 0xff;
            int jf = in.get() & 0xff;
            program.add(new SeccompBpf.Insn(code, jt, jf, in.getInt()));
        }
        return program;
    }
}
