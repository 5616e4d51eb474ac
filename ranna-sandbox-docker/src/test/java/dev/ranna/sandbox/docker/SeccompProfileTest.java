package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ranna.engine.spi.seccomp.SyscallPolicy;
import dev.ranna.engine.spi.seccomp.SyscallTable;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The profile's JSON, read back with Jackson: what Docker would see. */
class SeccompProfileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode profile() throws Exception {
        return JSON.readTree(SeccompProfile.ranna());
    }

    private static List<String> names(JsonNode rule) {
        var names = new ArrayList<String>();
        rule.get("names").forEach(n -> names.add(n.asText()));
        return names;
    }

    @Test
    void anAllowListOfX86_64WithTheDefaultEperm() throws Exception {
        JsonNode profile = profile();
        assertThat(profile.get("defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(profile.get("defaultErrnoRet").asInt()).isEqualTo(1);
        assertThat(profile.get("architectures")).hasSize(1);
        assertThat(profile.get("architectures").get(0).asText()).isEqualTo("SCMP_ARCH_X86_64");
        JsonNode allow = profile.get("syscalls").get(0);
        assertThat(allow.get("action").asText()).isEqualTo("SCMP_ACT_ALLOW");
        assertThat(allow.has("args")).isFalse();
        assertThat(names(allow))
                .contains("read", "execve", "wait4", "ptrace", "futex", "rt_sigreturn")
                .doesNotContain(
                        "io_uring_setup", "userfaultfd", "bpf", "unshare", "mount", "clone", "clone3", "personality");
    }

    @Test
    void everyCallOfTheTableHasExactlyOneUnconditionalRuleOrItsConditions() throws Exception {
        var seen = new ArrayList<String>();
        for (JsonNode rule : profile().get("syscalls")) {
            if (!rule.has("args")) {
                seen.addAll(names(rule));
            }
        }
        assertThat(seen).doesNotHaveDuplicates();
        var expected = new ArrayList<>(SyscallTable.x86_64().all().keySet());
        expected.removeAll(List.of("clone", "personality"));
        assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void deniedCallsCarryThePolicysErrno() throws Exception {
        for (JsonNode rule : profile().get("syscalls")) {
            if (!rule.get("action").asText().equals("SCMP_ACT_ERRNO")) {
                continue;
            }
            int errno = rule.get("errnoRet").asInt();
            for (String name : names(rule)) {
                var denial = SyscallPolicy.ranna().denials().stream()
                        .filter(d -> d.syscall().equals(name))
                        .findFirst()
                        .orElseThrow();
                assertThat(errno).as(name).isEqualTo(denial.errno());
            }
        }
        assertThat(SeccompProfile.ranna())
                .contains("{\"names\":[\"io_uring_setup\",\"io_uring_enter\",\"io_uring_register\",\"clone3\"],"
                        + "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}");
    }

    @Test
    void cloneAndPersonalityAreAllowedOnlyUnderTheirConditions() throws Exception {
        var conditional = new ArrayList<String>();
        for (JsonNode rule : profile().get("syscalls")) {
            if (rule.has("args")) {
                JsonNode arg = rule.get("args").get(0);
                conditional.add(names(rule) + " " + rule.get("action").asText() + " " + arg.get("index") + " "
                        + arg.get("op").asText() + " " + arg.get("value") + " " + arg.get("valueTwo"));
            }
        }
        assertThat(conditional)
                .containsExactly(
                        "[clone] SCMP_ACT_ALLOW 0 SCMP_CMP_MASKED_EQ 2114060288 0",
                        "[personality] SCMP_ACT_ALLOW 0 SCMP_CMP_MASKED_EQ 4294967295 0",
                        "[personality] SCMP_ACT_ALLOW 0 SCMP_CMP_MASKED_EQ 4294967295 4294967295");
    }

    @Test
    void aConditionalDenialWithAnotherErrnoCannotBeExpressed() {
        var policy = SyscallPolicy.of(List.of(new SyscallPolicy.Denial(
                "clone", SyscallPolicy.ENOSYS, new SyscallPolicy.AnyBitSet(0, 0x10000000), "x")));
        assertThatThrownBy(() -> SeccompProfile.json(policy, SyscallTable.x86_64()))
                .hasMessageContaining("EPERM");
    }
}
