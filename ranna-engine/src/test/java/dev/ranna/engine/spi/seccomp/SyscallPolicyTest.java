package dev.ranna.engine.spi.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SyscallPolicyTest {

    @Test
    void theX86_64TableHasTheKernelsNumbers() {
        SyscallTable table = SyscallTable.x86_64();
        assertThat(table.number("read")).hasValue(0);
        assertThat(table.number("clone")).hasValue(56);
        assertThat(table.number("userfaultfd")).hasValue(323);
        assertThat(table.number("io_uring_setup")).hasValue(425);
        assertThat(table.number("clone3")).hasValue(435);
        assertThat(table.number("no_such_call")).isEmpty();
        // 0..334 and 424..450 (unistd_64.h of Linux 6.1), no gaps within the ranges, no duplicates.
        assertThat(table.all()).hasSize(335 + 27);
        assertThat(table.all().values()).doesNotHaveDuplicates();
        assertThat(table.auditArch()).isEqualTo(0xC000003E);
    }

    @Test
    void onlyX86_64IsSupported() {
        assertThat(SyscallTable.forArch("amd64")).contains(SyscallTable.x86_64());
        assertThat(SyscallTable.forArch("x86_64")).contains(SyscallTable.x86_64());
        assertThat(SyscallTable.forArch("aarch64")).isEmpty();
        assertThat(SyscallTable.forArch("i386")).isEmpty();
    }

    @Test
    void rannasPolicyDeniesWhatTheIssueNamesAndEveryNameExistsOnX86_64() {
        SyscallPolicy policy = SyscallPolicy.ranna();
        assertThat(policy.denials())
                .extracting(SyscallPolicy.Denial::syscall)
                .contains(
                        "io_uring_setup",
                        "io_uring_enter",
                        "io_uring_register",
                        "userfaultfd",
                        "bpf",
                        "perf_event_open",
                        "kexec_load",
                        "kexec_file_load",
                        "add_key",
                        "keyctl",
                        "request_key",
                        "mount",
                        "umount2",
                        "pivot_root",
                        "fsopen",
                        "fsmount",
                        "fsconfig",
                        "move_mount",
                        "open_tree",
                        "mount_setattr",
                        "unshare",
                        "setns",
                        "clone",
                        "clone3",
                        "open_by_handle_at",
                        "name_to_handle_at",
                        "init_module",
                        "finit_module",
                        "delete_module",
                        "reboot",
                        "swapon",
                        "swapoff",
                        "acct",
                        "quotactl",
                        "syslog",
                        "personality")
                .doesNotContain("ptrace", "read", "execve", "wait4");
        assertThat(policy.unknownTo(SyscallTable.x86_64())).isEmpty();
        assertThat(policy.foreignAbiKills()).isTrue();
    }

    @Test
    void ioUringAndClone3FailWithEnosysSoLibrariesFallBackTheRestWithEperm() {
        for (SyscallPolicy.Denial denial : SyscallPolicy.ranna().denials()) {
            boolean fallsBack =
                    denial.syscall().startsWith("io_uring_") || denial.syscall().equals("clone3");
            assertThat(denial.errno())
                    .as(denial.syscall())
                    .isEqualTo(fallsBack ? SyscallPolicy.ENOSYS : SyscallPolicy.EPERM);
        }
    }

    @Test
    void cloneIsDeniedOnlyWithANamespaceFlagAndPersonalityOnlyAwayFromTheDefault() {
        var byName = SyscallPolicy.ranna().denials().stream()
                .collect(java.util.stream.Collectors.toMap(SyscallPolicy.Denial::syscall, d -> d.when()));
        assertThat(byName.get("clone")).isEqualTo(new SyscallPolicy.AnyBitSet(0, 0x7E020000));
        assertThat(byName.get("personality")).isEqualTo(new SyscallPolicy.NoneOf(0, List.of(0, 0xffffffff)));
        assertThat(byName.get("unshare")).isInstanceOf(SyscallPolicy.Always.class);
    }

    @Test
    void aPolicyRejectsDuplicatesAndBadArguments() {
        var always = new SyscallPolicy.Always();
        assertThatThrownBy(() -> SyscallPolicy.of(List.of(
                        new SyscallPolicy.Denial("bpf", 1, always, "x"),
                        new SyscallPolicy.Denial("bpf", 1, always, "y"))))
                .hasMessageContaining("denied twice: bpf");
        assertThatThrownBy(() -> new SyscallPolicy.AnyBitSet(6, 1)).hasMessageContaining("0-5");
        assertThatThrownBy(() -> new SyscallPolicy.Denial("bpf", 0, always, "x"))
                .hasMessageContaining("errno");
    }
}
