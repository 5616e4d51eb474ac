package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Renders the reliability report from the sections the suites wrote under {@code
 * <module>/target/reliability/}. Runs last (class order) in both the default and the long run; a suite
 * that did not run in this build keeps its section from the tracked {@code docs/reliability.md}, so the
 * default run and the long run each update their own parts.
 *
 * <p>Where it writes: to {@code ranna-it/target/reliability.md} by default, so a plain {@code mvn verify}
 * leaves the tracked file alone; to {@code docs/reliability.md} only when asked with {@code
 * -Dranna.it.updateDocs=true} (e.g. {@code mvn -pl ranna-it verify -Dranna.it.updateDocs=true}). The paths
 * come from the system properties {@code ranna.it.docsReport} (the tracked report, read as the base),
 * {@code ranna.it.reportFile} (the default output) and {@code ranna.it.updateDocs}, which ranna-it's pom
 * sets.
 */
@Tag("report")
@Order(Integer.MAX_VALUE)
class ReliabilityReportTest {
    private static final Pattern SECTION =
            Pattern.compile("<!-- BEGIN suite:([a-z0-9-]+) -->\\n.*?<!-- END suite:\\1 -->\\n", Pattern.DOTALL);
    private static final List<String> ORDER = List.of(
            "codec-properties",
            "hostile-protocol",
            "exploits-process",
            "exploits-docker",
            "exploits-docker-runsc",
            "syscall-filter",
            "shared-identity",
            "network-attacks",
            "small-heap-attack",
            "descriptor-exhaustion",
            "capacity-attack",
            "faults",
            "faults-long",
            "soak");

    /** Failures the suites found, each fixed in the code with a regression test next to it. */
    private static final List<String> FIXED = List.of(
            "**Server: one unauthenticated client could exhaust memory, descriptors or run capacity (issue 11).**"
                    + " Unread pipelined `GET /v1/spec` killed a `-Xmx256m` server (direct memory), unread"
                    + " WebSocket replies grew it by 1.4 GiB, idle keep-alive connections took every descriptor,"
                    + " one address held every run slot and queue place, abandoned REST runs ran to their"
                    + " timeout, a spec regex overflowed on the network thread, runs shared kernel identities"
                    + " and terminals, and there was no syscall filter. Regression tests: `NetworkAttackTest`,"
                    + " `SmallHeapAttackTest`, `DescriptorExhaustionTest`, `CapacityAttackTest`,"
                    + " `SharedIdentityTest`, `SyscallFilterTest`, `EngineSessionTest.inlineExpansionOfAHostileImportListIsAnOrdinaryRun`.",
            "**Server: Netty's pipelining limit logged a WARN with a stack trace per attacking connection.**"
                    + " Found by `SmallHeapAttackTest`; requests past the bound now close the connection quietly.",
            "**REST: a client's departure during a run went unnoticed while the connection was not read.** Found"
                    + " by `NetworkAttackTest` (runs kept going after their clients left); the connection is read"
                    + " during a run with nothing waiting, so a close cancels the run at once.",
            "**Process sandbox: a run with more than ~9,000 arguments or 3,000 variables printed bubblewrap's own"
                    + " error as the program's output.** 20,000 one-byte arguments fit the engine's 64 KiB limit,"
                    + " but bwrap counts its whole command line plus `--args` options against `MAX_ARGS` (9000)."
                    + " The sandbox now counts first and refuses with `SandboxException` 413 (ERROR 413 + STOP)."
                    + " Regression test: `ProcessSandboxTest.moreArgumentsThanBubblewrapTakesAreRefusedWith413BeforeAnythingIsAllocated`.",
            "**Process sandbox: the host run directory was readable in `/proc/1/environ`.** The launcher's shell"
                    + " exported `PWD`, which reached bwrap, PID 1 of the sandbox. Now unset before the exec chain."
                    + " Regression test: `ProcessSandboxSecurityTest.noEnvironmentTheProgramCanReadCarriesTheHostRunDirectory`.",
            "**Server: a client that disconnected mid-message was logged as an internal failure.** The frame"
                    + " aggregator's `PrematureChannelClosureException` fell into the catch-all: a WARN with a stack"
                    + " trace per connection, repeatable at will by any client. Now handled as the client going away."
                    + " Regression test: `RannaSessionHandlerTest.aClientThatDisconnectsMidMessageIsNotAServerFailure`.",
            "**Docker sandbox: after a dockerd restart the next run hung forever (SPAWN, then no STOP).** The"
                    + " restart stops every pooled container; Docker accepts an attach to a stopped container but"
                    + " never streams it, and the timeout's kill fails on it, so the run never ended. Pooled"
                    + " containers are now inspected before the attach and dropped if not running. Regression"
                    + " test: `DockerPoolTest.pooledContainersThatStoppedMeanwhileAreSkippedNotAttachedForever`.",
            "**Docker sandbox on gVisor: a run with 20,000 arguments timed out before it started (issue 18).** Found"
                    + " by `RunscExploitTest`: the boot script read its header with the shell's `read`, one byte per"
                    + " system call, and under gVisor each goes through its user-space kernel (80 KB: 4.8 s on runsc,"
                    + " 0.48 s on runc). It is now read with one `dd iflag=fullblock`. Regression test:"
                    + " `DockerRuntimeTest.theBootHeaderIsReadInOneGoAndACutHeaderRunsNothing`.",
            "**Docker sandbox on gVisor: a pids limit of 64 broke a plain pipeline (issue 18).** Found by"
                    + " `RunscHardeningTest`: the container's pids cgroup counts gVisor's host tasks (56 idle, about 8"
                    + " per guest process on the ptrace platform), not the program's processes. Under gVisor the"
                    + " sandbox now sets it to 64 + 8 x `sandbox.docker.pids`. Regression tests: `RunscHardeningTest`"
                    + " (the whole hardening suite on runsc).");

    @Test
    void renderTheReport() throws IOException {
        Path docs = Path.of(System.getProperty("ranna.it.docsReport", "../docs/reliability.md"));
        Path report = Boolean.getBoolean("ranna.it.updateDocs")
                ? docs
                : Path.of(System.getProperty("ranna.it.reportFile", "target/reliability.md"));
        Path root = docs.toAbsolutePath().getParent().getParent();
        Map<String, String> sections = new LinkedHashMap<>();
        if (Files.isRegularFile(docs)) {
            collect(Files.readString(docs), sections);
        }
        var fresh = new ArrayList<String>();
        try (DirectoryStream<Path> modules = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path module : modules) {
                Path dir = module.resolve("target").resolve("reliability");
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.md")) {
                    for (Path file : files) {
                        fresh.addAll(collect(Files.readString(file), sections));
                    }
                }
            }
        }
        assertThat(fresh).as("sections written by the suites of this build").isNotEmpty();

        var md = new StringBuilder();
        md.append("# Reliability and security\n\n");
        md.append("<!-- Generated by ranna-it's ReliabilityReportTest from the suites' own figures"
                + " (<module>/target/reliability/*.md). Do not edit by hand: run the suites. -->\n\n");
        md.append("What the reliability suites of `ranna-it` (and the codec properties of `ranna-protocol`)"
                + " throw at the server, the engine and both sandboxes, and what they measured the last time"
                + " they ran. Every figure below was written by the suite itself; every failure they found was"
                + " fixed in the code, with a regression test next to the fix.\n\n");
        md.append("## How to run\n\n");
        md.append("| what | command | time on 2 cores |\n|---|---|---|\n");
        md.append("| default suites (part of `mvn -B -ntp verify`) | `mvn -pl ranna-it verify` | about 1 min |\n");
        md.append("| long suites: soak, leaks, dockerd restart | `mvn -pl ranna-it verify -Plong` | about 5 min |\n");
        md.append("| codec properties | `mvn -pl ranna-protocol verify` | seconds |\n\n");
        md.append("`ranna-it` needs the other modules installed (`mvn install -DskipTests` once, or run it in the"
                + " reactor) and, for the SIGTERM fault, the server jar (`mvn -q -pl ranna-netty package"
                + " -DskipTests`). The sandboxes need bubblewrap and a Docker engine with"
                + " `ranna-test/busybox:local`; the disk-full fault and the dockerd restart need root. Without them"
                + " those tests are skipped with the reason, except under `CI=true`, where they fail. The long"
                + " suites are tagged `long` and excluded from the default run (surefire `excludedGroups`); `-Plong`"
                + " runs only them. The soak's size: `-Dranna.it.soak.runs=3000 -Dranna.it.soak.dockerRuns=400`."
                + " Each run of either set renders its own sections and keeps the others in"
                + " `ranna-it/target/reliability.md`; `-Dranna.it.updateDocs=true` writes this file instead.\n\n");
        md.append("## Failures found and fixed\n\n");
        FIXED.forEach(line -> md.append("- ").append(line).append('\n'));
        md.append("\n## Suites\n\n");
        for (String id : ORDER) {
            if (sections.containsKey(id)) {
                md.append(sections.get(id)).append('\n');
            }
        }
        sections.forEach((id, text) -> {
            if (!ORDER.contains(id)) {
                md.append(text).append('\n');
            }
        });
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, md.toString(), StandardCharsets.UTF_8);
    }

    /** Adds every section of {@code text} to {@code sections} (replacing older ones); returns their ids. */
    private static List<String> collect(String text, Map<String, String> sections) {
        var ids = new ArrayList<String>();
        Matcher m = SECTION.matcher(text);
        while (m.find()) {
            sections.put(m.group(1), m.group());
            ids.add(m.group(1));
        }
        return ids;
    }
}
