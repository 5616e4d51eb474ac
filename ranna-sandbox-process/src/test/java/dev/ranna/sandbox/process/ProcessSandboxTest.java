package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.PROMPTLY;
import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static dev.ranna.sandbox.process.TestSupport.request;
import static dev.ranna.sandbox.process.TestSupport.sh;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.sandbox.tck.ArgumentEcho;
import dev.ranna.sandbox.tck.Infrastructure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** What a run looks like from the inside and from the outside, with bubblewrap. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessSandboxTest {
    private ProcessSandbox sandbox;

    @BeforeAll
    void create() throws Exception {
        TestSupport.assumeBubblewrap();
        sandbox = (ProcessSandbox) new ProcessSandboxProvider().create(SandboxConfig.defaults());
    }

    @AfterAll
    void close() {
        if (sandbox != null) {
            sandbox.close();
            assertThat(sandbox.workDirs().base()).doesNotExist();
        }
    }

    @Test
    void aRunOutlivesTheThreadThatStartedIt() throws Exception {
        // --die-with-parent is PR_SET_PDEATHSIG, tied to the forking thread: the engine starts runs on
        // pooled threads that end when idle, and such a run used to be SIGKILLed with its thread.
        try (var direct = new ProcessSandboxProvider()
                .create(SandboxConfig.defaults().with(ProcessSandboxConfig.PRESTART, "off"))) {
            var sink = CollectingSink.create();
            var started = new CompletableFuture<Execution>();
            Thread starter = new Thread(() -> {
                try {
                    started.complete(direct.start(request(sh(), "sleep 1\necho done\n", TIMEOUT), sink));
                } catch (Exception e) {
                    started.completeExceptionally(e);
                }
            });
            starter.start();
            starter.join();
            var status = TestSupport.await(started.get(10, TimeUnit.SECONDS), PROMPTLY);
            assertThat(status.exitCode()).as("%s", status).isZero();
            assertThat(sink.stdout()).isEqualTo("done\n");
        }
    }

    @Test
    void aPrestartedLauncherOutlivesTheIdleThreadThatPreparedIt() throws Exception {
        // The prestarted launcher was forked on a pool thread that ends after 5 s idle.
        TestSupport.sh(sandbox, "true\n");
        var run = TestSupport.run(sandbox, request(TestSupport.sh(), "sleep 6\necho done\n", TestSupport.TIMEOUT));
        assertThat(run.status().exitCode()).as("%s", run.status()).isZero();
        assertThat(run.stdout()).isEqualTo("done\n");
    }

    @Test
    void availabilityReportsWhatIsEnforced() {
        Availability availability =
                new ProcessSandboxProvider().availability(SandboxConfig.defaults(), java.util.List.of());
        assertThat(availability.available()).isTrue();
        assertThat(availability.reason()).contains("bubblewrap");
        assertThat(availability.details())
                .containsEntry("isolation", "bubblewrap")
                .containsEntry("network", "none")
                .containsKeys("memory", "pids", "cpu", "user", "filesystem");
        assertThat(sandbox.info()).containsEntry("isolation", "bubblewrap");
        assertThat(sandbox.info().values())
                .as("no host paths in what /v1/info serves")
                .noneMatch(value -> value.contains("/sys/") || value.contains("/tmp/") || value.contains("/root"));
        assertThat(sandbox.version()).startsWith("bubblewrap");
    }

    @Test
    void exitCodeAndOutputStreamsAreReported() throws Exception {
        var run = sh(sandbox, "echo out; echo err >&2; exit 3\n");
        assertThat(run.status().exitCode()).isEqualTo(3);
        assertThat(run.status().signal()).isNull();
        assertThat(run.stdout()).isEqualTo("out\n");
        assertThat(run.stderr()).isEqualTo("err\n");
    }

    @Test
    void aSignalIsReportedByName() throws Exception {
        var run = sh(sandbox, "kill -SEGV $$\n");
        assertThat(run.status().signal()).isEqualTo("SIGSEGV");
        assertThat(run.status().exitCode()).isNull();
    }

    @Test
    void argumentsKeepTheirSpacesAndEmptyOnes() throws Exception {
        var run = sh(sandbox, "for a in \"$@\"; do printf '[%s]' \"$a\"; done\n", " x ", "", "a  b", "--");
        assertThat(run.stdout()).as("%s %s", run.status(), run.stderr()).isEqualTo("[ x ][][a  b][--]");
    }

    @Test
    void moreArgumentsThanBubblewrapTakesAreRefusedWith413BeforeAnythingIsAllocated() throws Exception {
        // Found by ranna-it's exploit suite: 20,000 one-byte arguments (40 KB, within the engine's 64 KiB)
        // made bwrap print "Exceeded maximum number of arguments 9000" as if it were the program's output.
        var fits = TestSupport.run(
                sandbox,
                request(
                        sh(),
                        "echo $#\n",
                        TIMEOUT,
                        java.util.Collections.nCopies(8000, "a").toArray(String[]::new)));
        assertThat(fits.stdout()).as("%s %s", fits.status(), fits.stderr()).isEqualTo("8000\n");

        var tooManyArguments = request(
                sh(),
                "echo $#\n",
                TIMEOUT,
                java.util.Collections.nCopies(9000, "a").toArray(String[]::new));
        var env = new java.util.LinkedHashMap<String, String>();
        for (int i = 0; i < 3000; i++) {
            env.put("V" + i, "x");
        }
        var tooManyVariables = new SandboxRequest(RunId.random(), sh(), "env\n", List.of(), env, TIMEOUT);
        for (SandboxRequest request : List.of(tooManyArguments, tooManyVariables)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> sandbox.start(request, CollectingSink.create()))
                    .isInstanceOfSatisfying(dev.ranna.engine.spi.SandboxException.class, e -> {
                        assertThat(e.code()).isEqualTo(dev.ranna.protocol.ErrorCode.TOO_LARGE);
                        assertThat(e.getMessage()).contains("the limit is 9000");
                    });
        }
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void programRunsInWorkAsAnUnprivilegedUserWithNoCapabilities() throws Exception {
        var run = sh(sandbox, "pwd; id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; hostname\n");
        var lines = run.stdout().lines().toList();
        assertThat(lines.get(0)).isEqualTo("/work");
        assertThat(Long.parseLong(lines.get(1))).isNotZero();
        assertThat(lines)
                .contains("CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1", "sandbox");
    }

    @Test
    void environmentIsOnlyTheBaseAndTheRequest() throws Exception {
        var request = new SandboxRequest(
                RunId.random(), sh(), "env | sort\n", List.of(), Map.of("GREETING", "hi there"), TIMEOUT);
        var run = TestSupport.run(sandbox, request);
        assertThat(run.stdout().lines().map(line -> line.substring(0, line.indexOf('='))))
                .containsExactlyInAnyOrder("GREETING", "HOME", "LANG", "PATH", "PWD", "TMPDIR");
        assertThat(run.stdout()).contains("GREETING=hi there\n", "HOME=/work\n");
    }

    @Test
    void timeoutKillsAndSaysSo() throws Exception {
        var run = TestSupport.run(sandbox, request(sh(), "echo started; sleep 30\n", Duration.ofMillis(700)));
        assertThat(run.timedOut()).as("killed at the deadline").isTrue();
        assertThat(run.status().signal()).isEqualTo("SIGKILL");
        assertThat(run.status().elapsed()).isBetween(Duration.ofMillis(650), Duration.ofSeconds(5));
        assertThat(run.stdout()).isEqualTo("started\n");
    }

    @Test
    void killWorksWhileTheSinkIsBlocked() throws Exception {
        String marker = "sleep 31.25";
        var gate = new CountDownLatch(1);
        var sink = CollectingSink.blockingUntil(gate);
        Execution execution = sandbox.start(request(sh(), "echo go; " + marker + "\n", TIMEOUT), sink);
        try {
            assertThat(sink.awaitFirstWrite(10)).isTrue();
            assertThat(TestSupport.poll(
                            PROMPTLY,
                            () -> !TestSupport.processesMatching(marker).isEmpty()))
                    .isTrue();
            execution.kill();
            assertThat(TestSupport.poll(
                            PROMPTLY,
                            () -> TestSupport.processesMatching(marker).isEmpty()))
                    .as("the program died while the sink was still blocked")
                    .isTrue();
            assertThat(execution.exit().toCompletableFuture()).isNotDone();
        } finally {
            gate.countDown();
        }
        ExitStatus status = TestSupport.await(execution, PROMPTLY);
        assertThat(status.signal()).isEqualTo("SIGKILL");
        assertThat(sink.stdout()).isEqualTo("go\n");
    }

    @Test
    void runDirectoriesAreRemovedAfterEachRun() throws Exception {
        sh(sandbox, "echo hi > file; mkdir d; ln -s /etc/passwd d/link\n");
        assertThat(TestSupport.runDirectoriesLeft(sandbox)).isEmpty();
    }

    @Test
    void everyDefaultLanguageRunsItsExample() throws Exception {
        SpecMap specs = new ProcessSandboxProvider().defaultSpecs(SandboxConfig.defaults());
        assertThat(specs.entries()).containsKeys("sh", "python3");
        assertThat(specs.entries().keySet().iterator().next()).isEqualTo("python3");
        assertThat(specs.get("python")).contains(SpecEntry.alias("python3"));
        for (var entry : specs.entries().entrySet()) {
            SpecEntry spec = entry.getValue();
            if (spec.isAlias()) {
                assertThat(specs.entries()).containsKey(spec.use());
                continue;
            }
            assertThat(spec.example()).as(entry.getKey()).isNotBlank();
            assertThat(spec.language()).as(entry.getKey()).isNotBlank();
            var language = LanguageSpec.builder(entry.getKey(), spec.filename())
                    .compile(spec.compile())
                    .entrypoint(spec.entrypoint())
                    .cmd(spec.cmd())
                    .language(spec.language())
                    .example(spec.example())
                    .build();
            var run = TestSupport.run(
                    sandbox,
                    new SandboxRequest(
                            RunId.random(), language, spec.example(), List.of(), Map.of(), Duration.ofSeconds(30)));
            assertThat(run.status().exitCode())
                    .as("%s: %s / %s", entry.getKey(), run.stdout(), run.stderr())
                    .isZero();
            assertThat(run.stdout()).as(entry.getKey()).isEqualTo("Hello, World!\n");

            // Empty arguments arrive too, each one separately and in order (a wrapper's unquoted $@ made
            // ["", "x y", ""] one argument).
            String echo = ArgumentEcho.program(spec.language())
                    .orElseThrow(() -> new AssertionError("no argument echo for " + spec.language()));
            var echoed = TestSupport.run(
                    sandbox,
                    new SandboxRequest(
                            RunId.random(), language, echo, ArgumentEcho.ARGUMENTS, Map.of(), Duration.ofSeconds(30)));
            assertThat(echoed.stdout())
                    .as("%s: arguments %s / %s", entry.getKey(), echoed.status(), echoed.stderr())
                    .isEqualTo(ArgumentEcho.expected(ArgumentEcho.ARGUMENTS));
        }
    }

    @Test
    void compiledLanguagesPassArguments() throws Exception {
        SpecEntry c = new ProcessSandboxProvider()
                .defaultSpecs(SandboxConfig.defaults())
                .get("c")
                .orElse(null);
        Infrastructure.require(c != null, "gcc is not installed (the default c spec needs it; .ci/run installs it)");
        var language = LanguageSpec.builder("c", c.filename())
                .compile(c.compile())
                .entrypoint(c.entrypoint())
                .cmd(c.cmd())
                .build();
        String code = "#include <stdio.h>\nint main(int argc, char **argv) {\n"
                + "  for (int i = 1; i < argc; i++) printf(\"[%s]\", argv[i]);\n  return 0;\n}\n";
        var run = TestSupport.run(
                sandbox,
                new SandboxRequest(
                        RunId.random(),
                        language,
                        code,
                        List.of("a b", "*", "$x", "", "\"q\"", "'"),
                        Map.of(),
                        TIMEOUT));
        assertThat(run.stdout()).isEqualTo("[a b][*][$x][][\"q\"][']");
    }

    @Test
    void perRunOverheadIsMilliseconds() throws Exception {
        for (var spec : List.of(sh(), TestSupport.python())) {
            var times = new java.util.ArrayList<Long>();
            for (int i = 0; i < 31; i++) {
                long before = System.nanoTime();
                var run =
                        TestSupport.run(sandbox, request(spec, spec.key().equals("sh") ? "true\n" : "pass\n", TIMEOUT));
                times.add((System.nanoTime() - before) / 1000);
                assertThat(run.status().exitCode()).isZero();
            }
            times.sort(null);
            System.out.printf(
                    "%s: start() to exit() median %.1f ms, p90 %.1f ms (31 serial runs)%n",
                    spec.key(), times.get(15) / 1000.0, times.get(27) / 1000.0);
            assertThat(times.get(15)).isLessThan(1_000_000L);
        }
    }

    @Test
    void hostWorkDirectoryIsPrivate() throws Exception {
        Path base = sandbox.workDirs().base();
        assertThat(Files.getPosixFilePermissions(base)).isEqualTo(PosixFilePermissions.fromString("rwx--x--x"));
        assertThat(base.getFileName().toString()).startsWith("ranna-process-").endsWith(sandbox.instanceId());
    }
}
