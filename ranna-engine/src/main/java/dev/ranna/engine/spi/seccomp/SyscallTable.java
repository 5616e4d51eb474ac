package dev.ranna.engine.spi.seccomp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The system call numbers of one architecture, by name. Only x86_64 is supported: its table is the
 * resource {@code syscalls-x86_64.txt}, generated from the kernel's uapi header {@code asm/unistd_64.h}
 * (the command is in the file's header). On another architecture {@link #forArch} is empty, and a
 * sandbox that filters system calls refuses to start rather than run unfiltered.
 *
 * <p>Immutable and thread-safe.
 */
public final class SyscallTable {

    /** {@code AUDIT_ARCH_X86_64}: {@code EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE}. */
    public static final int AUDIT_ARCH_X86_64 = 0xC000003E;

    /**
     * {@code __X32_SYSCALL_BIT}: x86_64 system call numbers with this bit set enter the x32 ABI, which
     * shares {@link #AUDIT_ARCH_X86_64} and must be told apart by the number.
     */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    private static final SyscallTable X86_64 = load("x86_64", AUDIT_ARCH_X86_64, "syscalls-x86_64.txt");

    private final String arch;
    private final int auditArch;
    private final Map<String, Integer> numbers;

    private SyscallTable(String arch, int auditArch, Map<String, Integer> numbers) {
        this.arch = arch;
        this.auditArch = auditArch;
        this.numbers = Collections.unmodifiableMap(numbers);
    }

    /** The x86_64 table. */
    public static SyscallTable x86_64() {
        return X86_64;
    }

    /**
     * The table for {@code arch} as Java ({@code os.arch}: {@code amd64}) or the kernel ({@code uname -m},
     * Docker's {@code Architecture}: {@code x86_64}) names it; empty for any other architecture.
     */
    public static Optional<SyscallTable> forArch(String arch) {
        String name = arch.toLowerCase(Locale.ROOT);
        if (name.equals("amd64") || name.equals("x86_64")) {
            return Optional.of(X86_64);
        }
        return Optional.empty();
    }

    /** The table of the architecture this JVM runs on, empty if it is not supported. */
    public static Optional<SyscallTable> host() {
        return forArch(System.getProperty("os.arch", ""));
    }

    /** The kernel's name of the architecture, e.g. {@code x86_64}. */
    public String arch() {
        return arch;
    }

    /** The {@code AUDIT_ARCH_*} value that {@code seccomp_data.arch} holds for this architecture. */
    public int auditArch() {
        return auditArch;
    }

    /** The number of system call {@code name}, empty if this architecture has none of that name. */
    public OptionalInt number(String name) {
        Integer number = numbers.get(name);
        return number == null ? OptionalInt.empty() : OptionalInt.of(number);
    }

    /** Every system call of this architecture, name to number, in number order. */
    public Map<String, Integer> all() {
        return numbers;
    }

    private static SyscallTable load(String arch, int auditArch, String resource) {
        var numbers = new LinkedHashMap<String, Integer>();
        try (InputStream in = Objects.requireNonNull(SyscallTable.class.getResourceAsStream(resource), resource);
                var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.trim().split("\\s+");
                if (parts.length != 2) {
                    throw new IllegalStateException(resource + ": bad line '" + line + "'");
                }
                numbers.put(parts[0], Integer.parseInt(parts[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new SyscallTable(arch, auditArch, numbers);
    }

    @Override
    public String toString() {
        return "SyscallTable[" + arch + ", " + numbers.size() + " calls]";
    }
}
