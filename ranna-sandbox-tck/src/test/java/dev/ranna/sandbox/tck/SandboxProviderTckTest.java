package dev.ranna.sandbox.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedMethod;

import dev.ranna.sandbox.tck.fixture.Fault;
import dev.ranna.sandbox.tck.fixture.FaultyFixtureKit;
import dev.ranna.sandbox.tck.fixture.HostShellFixtureProvider;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Shows that the kit's checks fail when they should: each case builds the host-shell fixture with one
 * deliberate {@link Fault} and runs the one check that must catch it. ({@code HostShellFixtureTckTest}
 * shows the same checks pass without the fault.)
 */
class SandboxProviderTckTest {

    @AfterEach
    void reapWhatTheFaultyFixtureLeft() throws IOException {
        FaultyFixtureKit.use(Fault.NONE);
        HostShellFixtureProvider.reap();
        // CLAIMS_ISOLATION let the isolation checks write files to the host's /tmp. Only those files: the
        // ranna-tck-fixture-* directories there are the work directories of fixtures, possibly of another
        // build running on the same host at the same time.
        try (DirectoryStream<Path> files = Files.newDirectoryStream(
                Path.of("/tmp"),
                file -> file.getFileName().toString().startsWith("ranna-tck-")
                        && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** A fault, the group and check that must catch it, and a fragment of the failure message that says why. */
    @Test
    void unavailableProviderSkipsTheKitWithItsReason() {
        String previous = System.setProperty(SandboxProviderTck.REQUIRE_AVAILABLE_PROPERTY, "false");
        try {
            FaultyFixtureKit.use(Fault.UNAVAILABLE);
            Map<String, TestExecutionResult> results = launch(selectClass(FaultyFixtureKit.class), false);
            TestExecutionResult kit = results.get("FaultyFixtureKit");
            assertThat(kit.getStatus()).isEqualTo(TestExecutionResult.Status.ABORTED);
            assertThat(kit.getThrowable())
                    .hasValueSatisfying(t -> assertThat(t.getMessage())
                            .contains("'tck-fixture-host-shell' is not available here: made unavailable for a test"));
        } finally {
            restore(previous);
        }
    }

    @Test
    void sandboxWithoutUsageSkipsTheUsageGroupSayingItDeclaresNone() {
        String previous = System.setProperty(SandboxProviderTck.REQUIRE_AVAILABLE_PROPERTY, "true");
        try {
            FaultyFixtureKit.use(Fault.NONE);
            Map<String, TestExecutionResult> results = launch(
                    selectNestedMethod(
                            List.of(FaultyFixtureKit.class), SandboxProviderTck.UsageReporting.class, "oomIsReported"),
                    true);
            assertThat(results.values())
                    .as("even when infrastructure is required: the skip is declared, not missing infrastructure")
                    .singleElement()
                    .satisfies(result -> {
                        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.ABORTED);
                        assertThat(result.getThrowable())
                                .hasValueSatisfying(
                                        t -> assertThat(t.getMessage()).contains("declares no usage capability"));
                    });
        } finally {
            restore(previous);
        }
    }

    static Stream<Arguments> capabilityGroups() {
        return Stream.of(
                arguments(
                        SandboxProviderTck.StandardInput.class,
                        "initialBytesArriveExactly",
                        "declares no stdin capability"),
                arguments(
                        SandboxProviderTck.Signals.class,
                        "sigtermIsReportedAsSignal",
                        "declares no signals capability"),
                arguments(SandboxProviderTck.Terminal.class, "initialSizeIs80By24", "declares no tty capability"),
                arguments(SandboxProviderTck.ExtraFiles.class, "filesArriveByteExact", "declares no files capability"),
                arguments(
                        SandboxProviderTck.CompileStage.class,
                        "compiledSeparatesTheStages",
                        "declares no compile capability"),
                arguments(SandboxProviderTck.Limits.class, "memoryLimitHoldsTheRun", "declares no limits capability"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("capabilityGroups")
    void sandboxWithoutACapabilitySkipsItsGroupSayingSo(Class<?> group, String test, String why) {
        String previous = System.setProperty(SandboxProviderTck.REQUIRE_AVAILABLE_PROPERTY, "true");
        try {
            FaultyFixtureKit.use(Fault.DECLARES_NO_INTERACTION);
            Map<String, TestExecutionResult> results =
                    launch(selectNestedMethod(List.of(FaultyFixtureKit.class), group, test), true);
            assertThat(results.values())
                    .as("even when infrastructure is required: the skip is declared, not missing infrastructure")
                    .singleElement()
                    .satisfies(result -> {
                        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.ABORTED);
                        assertThat(result.getThrowable())
                                .hasValueSatisfying(
                                        t -> assertThat(t.getMessage()).contains(why));
                    });
        } finally {
            restore(previous);
        }
    }

    @Test
    void unavailableProviderFailsTheKitWhenAvailabilityIsRequired() {
        String previous = System.setProperty(SandboxProviderTck.REQUIRE_AVAILABLE_PROPERTY, "true");
        try {
            FaultyFixtureKit.use(Fault.UNAVAILABLE);
            Map<String, TestExecutionResult> results = launch(selectClass(FaultyFixtureKit.class), false);
            TestExecutionResult kit = results.get("FaultyFixtureKit");
            assertThat(kit.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
            assertThat(kit.getThrowable())
                    .hasValueSatisfying(t -> assertThat(t.getMessage())
                            .contains("made unavailable for a test")
                            .contains(SandboxProviderTck.REQUIRE_AVAILABLE_PROPERTY));
        } finally {
            restore(previous);
        }
    }

    private static void restore(@Nullable String previous) {
        if (previous == null) {
            System.clearProperty(SandboxProviderTck.REQUIRE_AVAILABLE_PROPERTY);
        } else {
            System.setProperty(SandboxProviderTck.REQUIRE_AVAILABLE_PROPERTY, previous);
        }
    }

    /** Runs what {@code selector} selects; returns the results of tests, or of every node, by display name. */
    private static Map<String, TestExecutionResult> launch(DiscoverySelector selector, boolean testsOnly) {
        Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();
        LauncherFactory.create()
                .execute(
                        LauncherDiscoveryRequestBuilder.request()
                                .selectors(selector)
                                .build(),
                        new TestExecutionListener() {
                            @Override
                            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                                if (id.isTest() || !testsOnly) {
                                    results.put(id.getDisplayName(), result);
                                }
                            }
                        });
        return results;
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                arguments(Fault.SWAP_STREAMS, SandboxProviderTck.Output.class, "stdoutAndStderrAreSeparate", "err 1"),
                arguments(Fault.TEXT_DECODING, SandboxProviderTck.Output.class, "binaryBytesArriveUnchanged", "-1"),
                arguments(
                        Fault.EXIT_BEFORE_DRAIN,
                        SandboxProviderTck.Ordering.class,
                        "exitCompletesAfterTheLastWrite",
                        "when exit() completed"),
                arguments(
                        Fault.EXIT_BEFORE_DRAIN,
                        SandboxProviderTck.Ordering.class,
                        "lastWordsArePresentAtExit",
                        "when exit() completed"),
                arguments(
                        Fault.LEAVE_BACKGROUND_PROCESSES,
                        SandboxProviderTck.Cleanup.class,
                        "detachedBackgroundProcessIsEnded",
                        "sleep 30"),
                arguments(
                        Fault.KEEP_DIRECTORIES, SandboxProviderTck.ExitStatusReporting.class, "exitZero", "directory"),
                arguments(
                        Fault.INHERIT_ENVIRONMENT,
                        SandboxProviderTck.ProgramEnvironment.class,
                        "serverEnvironmentDoesNotLeak",
                        "server's environment"),
                arguments(
                        Fault.DROP_EMPTY_ARGUMENTS,
                        SandboxProviderTck.ProgramEnvironment.class,
                        "argumentsArriveVerbatim",
                        "[]"),
                arguments(
                        Fault.APPEND_NEWLINE_TO_CODE,
                        SandboxProviderTck.ProgramEnvironment.class,
                        "codeFileIsInTheWorkingDirectory",
                        "code file's content"),
                arguments(
                        Fault.KILL_REPORTED_AS_EXIT, SandboxProviderTck.Kill.class, "killEndsTheProgram", "killed of"),
                arguments(
                        Fault.IGNORE_KILL,
                        SandboxProviderTck.TimeoutEnforcement.class,
                        "timeoutKills",
                        "ERROR of a run past its timeout"),
                arguments(
                        Fault.START_AFTER_CLOSE,
                        SandboxProviderTck.Closing.class,
                        "closeEndsEverything",
                        "start() after close()"),
                arguments(
                        Fault.CLAIMS_ISOLATION,
                        SandboxProviderTck.Isolation.class,
                        "runsCannotSeeEachOther",
                        "run B's output"),
                arguments(
                        Fault.CLAIMS_ISOLATION,
                        SandboxProviderTck.Isolation.class,
                        "laterRunsStartClean",
                        "run B's output"),
                arguments(
                        Fault.CLAIMS_USAGE_WITHOUT_MEASURING,
                        SandboxProviderTck.UsageReporting.class,
                        "cpuTimeIsMeasured",
                        "usage of"),
                arguments(
                        Fault.CLAIMS_USAGE_WITHOUT_MEASURING,
                        SandboxProviderTck.UsageReporting.class,
                        "peakMemoryIsMeasured",
                        "usage of"),
                arguments(
                        Fault.USAGE_FROM_WALL_TIME,
                        SandboxProviderTck.UsageReporting.class,
                        "cpuTimeIsMeasured",
                        "CPU time is not wall time"),
                arguments(
                        Fault.USAGE_FROM_WALL_TIME,
                        SandboxProviderTck.UsageReporting.class,
                        "peakMemoryIsMeasured",
                        "peak memory of a 52428800-byte allocation"),
                arguments(
                        Fault.USAGE_FROM_WALL_TIME,
                        SandboxProviderTck.UsageReporting.class,
                        "oomIsReported",
                        "oomKilled of"),
                arguments(
                        Fault.CLAIMS_SIGNAL_NAMES,
                        SandboxProviderTck.ExitStatusReporting.class,
                        "signalIsReported",
                        "with a null exit code"),
                arguments(
                        Fault.STDIN_MANGLED,
                        SandboxProviderTck.StandardInput.class,
                        "initialBytesArriveExactly",
                        "od of the input"),
                arguments(
                        Fault.STDIN_BUFFERED_UNTIL_END,
                        SandboxProviderTck.StandardInput.class,
                        "inputIsStreamed",
                        "did not print 'got one"),
                arguments(
                        Fault.STDIN_CLOSED_EARLY,
                        SandboxProviderTck.StandardInput.class,
                        "endOfInputIsExact",
                        "did not print 'abcdef"),
                arguments(
                        Fault.STDIN_NEVER_CLOSED,
                        SandboxProviderTck.StandardInput.class,
                        "endOfInputIsExact",
                        "exit() did not complete within"),
                arguments(
                        Fault.STDIN_NEVER_CLOSED,
                        SandboxProviderTck.StandardInput.class,
                        "emptyInputIsEndOfFileAtOnce",
                        "exit() did not complete within"),
                arguments(
                        Fault.STDIN_CLOSED_EARLY,
                        SandboxProviderTck.StandardInput.class,
                        "childProcessesReadStdin",
                        "did not print 'subshell read second"),
                arguments(
                        Fault.STDIN_HOLDS_EXIT,
                        SandboxProviderTck.StandardInput.class,
                        "pendingInputDoesNotHoldKill",
                        "exit() did not complete within"),
                arguments(
                        Fault.STDIN_HOLDS_EXIT,
                        SandboxProviderTck.StandardInput.class,
                        "exitDoesNotWaitForInput",
                        "exit() did not complete within"),
                arguments(
                        Fault.SIGNAL_AS_SIGKILL,
                        SandboxProviderTck.Signals.class,
                        "trapRunsAndProgramGoesOn",
                        "output around SIGINT"),
                arguments(
                        Fault.SIGNALS_IGNORED,
                        SandboxProviderTck.Signals.class,
                        "trapRunsAndProgramGoesOn",
                        "exit() did not complete within"),
                arguments(
                        Fault.CLAIMS_SIGNAL_NAMES,
                        SandboxProviderTck.Signals.class,
                        "sigtermIsReportedAsSignal",
                        "signal of"),
                arguments(
                        Fault.EXIT_CODE_AS_SIGNAL,
                        SandboxProviderTck.Signals.class,
                        "exitCode143IsNotASignal",
                        "exitCode of"),
                arguments(
                        Fault.SIGNALS_IGNORED,
                        SandboxProviderTck.Signals.class,
                        "stopAndContinue",
                        "output stopped for 1 s after SIGSTOP"),
                arguments(
                        Fault.SIGNAL_AS_SIGKILL,
                        SandboxProviderTck.Signals.class,
                        "stopAndContinue",
                        "exit() of a stopped program"),
                arguments(
                        Fault.KILL_BY_SIGTERM,
                        SandboxProviderTck.Signals.class,
                        "stoppedProgramIsKillable",
                        "exit() did not complete within"),
                arguments(
                        Fault.SIGNAL_TO_LEADER_ONLY,
                        SandboxProviderTck.Signals.class,
                        "signalReachesChildren",
                        "did not print 'foreground caught USR1"),
                arguments(
                        Fault.SIGNAL_AFTER_EXIT_THROWS,
                        SandboxProviderTck.Signals.class,
                        "signalAfterExitIsHarmless",
                        "the program has exited"),
                arguments(Fault.NO_TTY, SandboxProviderTck.Terminal.class, "standardStreamsAreATerminal", "not all"),
                arguments(
                        Fault.NO_TTY,
                        SandboxProviderTck.Terminal.class,
                        "inputIsEchoedWithTerminalNewlines",
                        "terminal output of a read"),
                arguments(Fault.TTY_SIZE_UNSET, SandboxProviderTck.Terminal.class, "initialSizeIs80By24", "stty size"),
                arguments(
                        Fault.RESIZE_IGNORED,
                        SandboxProviderTck.Terminal.class,
                        "resizeChangesTheSize",
                        "did not see 100x30 after resize"),
                arguments(
                        Fault.TTY_STDERR_SEPARATE,
                        SandboxProviderTck.Terminal.class,
                        "stderrArrivesOnStdout",
                        "stderr included"),
                arguments(
                        Fault.TTY_FILTERS_ESCAPES,
                        SandboxProviderTck.Terminal.class,
                        "escapeSequencesArriveUnchanged",
                        "escape sequences on the terminal"),
                arguments(
                        Fault.STDIN_NEVER_CLOSED,
                        SandboxProviderTck.Terminal.class,
                        "endOfInputEndsCat",
                        "exit() did not complete within"),
                arguments(Fault.FILES_MANGLED, SandboxProviderTck.ExtraFiles.class, "filesArriveByteExact", "od of"),
                arguments(
                        Fault.FILES_NOT_THE_PROGRAMS,
                        SandboxProviderTck.ExtraFiles.class,
                        "filesBelongToTheProgram",
                        "the program's own files"),
                arguments(
                        Fault.FILES_WRITTEN_BY_SHELL,
                        SandboxProviderTck.ExtraFiles.class,
                        "namesAreWrittenLiterally",
                        "by its literal name"),
                arguments(
                        Fault.FILES_NAMES_ASCII,
                        SandboxProviderTck.ExtraFiles.class,
                        "unicodeNamesAreWritten",
                        "the files by their UTF-8 names"),
                arguments(
                        Fault.FILES_PARENT_ONLY,
                        SandboxProviderTck.ExtraFiles.class,
                        "deepDirectoriesAreMade",
                        "could not write the files"),
                arguments(
                        Fault.FILES_SHARED_DIRECTORY,
                        SandboxProviderTck.ExtraFiles.class,
                        "earlierRunsPlantNothing",
                        "run B's view of its files"),
                arguments(
                        Fault.FILES_AFTER_COMPILE,
                        SandboxProviderTck.CompileStage.class,
                        "compileStageSeesTheFiles",
                        "the program built from the file"),
                arguments(
                        Fault.COMPILED_BEFORE_DRAIN,
                        SandboxProviderTck.CompileStage.class,
                        "compiledSeparatesTheStages",
                        "stdout when compiled() came"),
                arguments(
                        Fault.COMPILED_AFTER_RUN,
                        SandboxProviderTck.CompileStage.class,
                        "compiledSeparatesTheStages",
                        "stdout when compiled() came"),
                arguments(
                        Fault.ELAPSED_INCLUDES_COMPILE,
                        SandboxProviderTck.CompileStage.class,
                        "compiledSeparatesTheStages",
                        "each stage's own"),
                arguments(
                        Fault.COMPILE_FAILURE_IGNORED,
                        SandboxProviderTck.CompileStage.class,
                        "failedCompileNeverRunsTheProgram",
                        "compiled() calls after a failed compile"),
                arguments(
                        Fault.COMPILED_ON_FAILURE,
                        SandboxProviderTck.CompileStage.class,
                        "failedCompileNeverRunsTheProgram",
                        "compiled() calls after a failed compile"),
                arguments(
                        Fault.RUN_STAGE_AFTER_KILL,
                        SandboxProviderTck.CompileStage.class,
                        "killDuringCompileNeverRunsTheProgram",
                        "compiled() calls after a killed compile"),
                arguments(
                        Fault.COMPILE_READS_STDIN,
                        SandboxProviderTck.CompileStage.class,
                        "compileStageReadsNoInput",
                        "what the compile and the program read"),
                arguments(
                        Fault.COMPILE_UNDER_RUN_MEMORY,
                        SandboxProviderTck.CompileStage.class,
                        "compileStageHasItsOwnMemoryLimit",
                        "compiled() after the compile allocated"),
                arguments(
                        Fault.COMPILE_UNDER_RUN_MEMORY,
                        SandboxProviderTck.Limits.class,
                        "compileStageIsNotHeldToTheRunsLimit",
                        "compiled() after the compile allocated"),
                arguments(
                        Fault.MEMORY_LIMIT_IGNORED,
                        SandboxProviderTck.Limits.class,
                        "memoryLimitHoldsTheRun",
                        "the allocation completed"),
                arguments(
                        Fault.USAGE_FROM_WALL_TIME,
                        SandboxProviderTck.Limits.class,
                        "memoryLimitHoldsTheRun",
                        "oomKilled of 64 MiB under a 32 MiB memoryLimit"),
                arguments(
                        Fault.MEMORY_LIMIT_STICKS,
                        SandboxProviderTck.Limits.class,
                        "requestWithoutLimitGetsTheServers",
                        "49 MiB without memoryLimit after a run limited to 32 MiB"),
                arguments(
                        Fault.SERVER_MEMORY_UNLIMITED,
                        SandboxProviderTck.Limits.class,
                        "requestWithoutLimitGetsTheServers",
                        "sandbox.memory + 64 MiB without memoryLimit"),
                arguments(
                        Fault.COMPILED_AFTER_RUN,
                        SandboxProviderTck.CompileStage.class,
                        "runTimeoutStartsAfterTheCompile",
                        "LOGs with their stages"),
                arguments(
                        Fault.IGNORE_KILL,
                        SandboxProviderTck.CompileStage.class,
                        "compileTimeoutStopsTheCompile",
                        "the ERROR of a compile past its timeout"),
                arguments(
                        Fault.COMPILED_WITHOUT_STAGE,
                        SandboxProviderTck.ExitStatusReporting.class,
                        "exitZero",
                        "for a spec without a compile stage"));
    }

    @ParameterizedTest(name = "{0} is caught by {2}")
    @MethodSource("faults")
    void kitCatchesTheFault(Fault fault, Class<?> group, String test, String why) {
        if (fault == Fault.INHERIT_ENVIRONMENT) {
            Infrastructure.require(
                    SandboxProviderTck.SERVER_VARIABLES.stream()
                            .anyMatch(name -> System.getenv(name) != null
                                    && !System.getenv(name).isEmpty()),
                    "no server variable the check looks for is set in this JVM");
        }
        FaultyFixtureKit.use(fault);
        var selector = "signalIsReported".equals(test)
                ? selectNestedMethod(List.of(FaultyFixtureKit.class), group, test, String.class)
                : selectNestedMethod(List.of(FaultyFixtureKit.class), group, test);
        Map<String, TestExecutionResult> results = launch(selector, true);
        assertThat(results)
                .as("tests run for %s.%s", group.getSimpleName(), test)
                .isNotEmpty();
        assertThat(results.values())
                .as("the fault %s must make %s fail", fault, test)
                .allSatisfy(result -> {
                    assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
                    assertThat(result.getThrowable())
                            .hasValueSatisfying(failure -> assertThat(failure.toString())
                                    .as("why %s failed", test)
                                    .contains(why));
                });
    }
}
