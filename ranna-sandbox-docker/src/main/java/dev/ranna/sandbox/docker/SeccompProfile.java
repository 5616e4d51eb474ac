package dev.ranna.sandbox.docker;

import dev.ranna.engine.spi.seccomp.SyscallPolicy;
import dev.ranna.engine.spi.seccomp.SyscallTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Renders a {@link SyscallPolicy} as a Docker seccomp profile, the JSON text given to {@code
 * HostConfig.SecurityOpt} as {@code seccomp=<json>}.
 *
 * <p>Docker's profiles are allow-lists, and so is this one: every call of the {@link SyscallTable} the
 * policy does not deny is allowed, the denied ones get their errno, and anything else fails with the
 * default {@code EPERM} (runc turns calls newer than any the profile names into {@code ENOSYS}, so
 * libraries fall back). Conditional denials become conditional allows: {@code clone} is allowed when
 * {@code (flags & CLONE_NEW*) == 0}, {@code personality} for each allowed value, both compared on the
 * argument's low 32 bits as the BPF filter does. Only {@code SCMP_ARCH_X86_64} is listed: the 32-bit and
 * x32 ABIs are not in the profile.
 */
final class SeccompProfile {
    private SeccompProfile() {}

    /** The profile's JSON text. */
    static String json(SyscallPolicy policy, SyscallTable table) {
        int defaultErrno = SyscallPolicy.EPERM;
        Set<String> conditional = new HashSet<>();
        Map<Integer, List<String>> deniedByErrno = new TreeMap<>();
        var conditionalRules = new ArrayList<String>();
        for (SyscallPolicy.Denial denial : policy.denials()) {
            if (table.number(denial.syscall()).isEmpty()) {
                continue;
            }
            if (denial.when() instanceof SyscallPolicy.Always) {
                deniedByErrno
                        .computeIfAbsent(denial.errno(), e -> new ArrayList<>())
                        .add(denial.syscall());
                continue;
            }
            if (denial.errno() != defaultErrno) {
                // A conditional allow leaves the rest to the default action, whose errno is EPERM.
                throw new IllegalArgumentException(
                        "a conditional denial must use EPERM in a Docker profile: " + denial.syscall());
            }
            conditional.add(denial.syscall());
            if (denial.when() instanceof SyscallPolicy.AnyBitSet bits) {
                conditionalRules.add(allowWhen(denial.syscall(), bits.arg(), Integer.toUnsignedLong(bits.mask()), 0));
            } else if (denial.when() instanceof SyscallPolicy.NoneOf none) {
                for (int value : none.allowed()) {
                    conditionalRules.add(
                            allowWhen(denial.syscall(), none.arg(), 0xffffffffL, Integer.toUnsignedLong(value)));
                }
            } else {
                throw new IllegalArgumentException("unknown condition " + denial.when());
            }
        }
        Set<String> denied = new HashSet<>();
        deniedByErrno.values().forEach(denied::addAll);
        var allowed = new ArrayList<String>();
        for (String name : table.all().keySet()) {
            if (!denied.contains(name) && !conditional.contains(name)) {
                allowed.add(name);
            }
        }
        var rules = new ArrayList<String>();
        rules.add("{\"names\":" + names(allowed) + ",\"action\":\"SCMP_ACT_ALLOW\"}");
        rules.addAll(conditionalRules);
        deniedByErrno.forEach((errno, list) ->
                rules.add("{\"names\":" + names(list) + ",\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":" + errno + "}"));
        return "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":" + defaultErrno + ",\"architectures\":[\""
                + scmpArch(table) + "\"],\"syscalls\":[" + String.join(",", rules) + "]}";
    }

    /** ranna's policy as a profile, for x86_64. */
    static String ranna() {
        return json(SyscallPolicy.ranna(), SyscallTable.x86_64());
    }

    private static String allowWhen(String name, int arg, long mask, long value) {
        return "{\"names\":[\"" + name + "\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":" + arg + ",\"value\":"
                + mask + ",\"valueTwo\":" + value + ",\"op\":\"SCMP_CMP_MASKED_EQ\"}]}";
    }

    private static String names(List<String> names) {
        var out = new StringBuilder("[");
        for (String name : names) {
            if (!name.matches("[a-z0-9_]+")) {
                throw new IllegalArgumentException("not a system call name: " + name);
            }
            if (out.length() > 1) {
                out.append(',');
            }
            out.append('"').append(name).append('"');
        }
        return out.append(']').toString();
    }

    private static String scmpArch(SyscallTable table) {
        if (table.auditArch() == SyscallTable.AUDIT_ARCH_X86_64) {
            return "SCMP_ARCH_X86_64";
        }
        throw new IllegalArgumentException("unsupported architecture " + table.arch());
    }
}
