package dev.ranna.engine.spi;

import dev.ranna.protocol.RunId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What to run: a resolved spec, the code (inline expressions already expanded), arguments and
 * environment, validated by the engine.
 *
 * <p>Build one with {@link #builder}: what a run asks of a sandbox grows (standard input, a terminal,
 * extra files, a compile stage, limits per run), and each addition is a new builder method with a
 * default, so neither sandboxes nor callers change when one comes.
 *
 * @param runId the run's id, for labels and logs
 * @param spec the language spec, aliases resolved
 * @param code the program text, to be written to {@link LanguageSpec#filename()} in the working directory
 * @param arguments appended to the command, each one argument, never split by a shell
 * @param environment added to the program's environment; keys are non-empty and contain no {@code =} or NUL
 * @param timeout the program's wall-clock limit. The engine enforces it (it kills the run at the
 *     deadline and reports the timeout); a sandbox does not time runs, but may size limits of its own
 *     from it, such as a CPU-time rlimit
 * @param stdin the program's standard input: pull it with a {@link StdinPump} (or an equivalent) until it
 *     ends, then end the program's input. {@link StdinSource#EMPTY} (the default) when the client sent
 *     none: the program reads EOF at once. Asked of a sandbox with {@link Capability#STDIN} only
 * @param tty run the program on a pseudo-terminal inside the sandbox, {@link #TERMINAL_COLUMNS} by {@link
 *     #TERMINAL_ROWS} until {@link Execution#resize}d: standard input, output and error are the terminal,
 *     so all output is {@code stdout}, and the end of input is the terminal's end-of-file character.
 *     Asked of a sandbox with {@link Capability#TTY} only
 * @param files more files beside the code, each at its relative path in the working directory, names
 *     validated by the engine ({@link SourceFile}; none is the code's own file name, none is a directory
 *     of another). Asked of a sandbox with {@link Capability#FILES} only
 * @param compileTimeout the compile stage's wall-clock limit, for a spec with {@link LanguageSpec#compile()}.
 *     The engine enforces it as it does {@code timeout}, which then starts when the sandbox reports {@link
 *     OutputSink#compiled}
 * @param memoryLimit the run's own memory limit in bytes, below the server's {@code sandbox.memory}, or
 *     null for the server's. Asked of a sandbox with {@link Capability#LIMITS} only
 */
public record SandboxRequest(
        RunId runId,
        LanguageSpec spec,
        String code,
        List<String> arguments,
        Map<String, String> environment,
        Duration timeout,
        StdinSource stdin,
        boolean tty,
        List<SourceFile> files,
        Duration compileTimeout,
        @Nullable Long memoryLimit) {

    /** The compile stage's wall-clock limit when a request does not say ({@code sandbox.compile.timeoutseconds}). */
    public static final Duration DEFAULT_COMPILE_TIMEOUT = Duration.ofSeconds(30);

    /** A terminal's width in columns until the client resizes it. */
    public static final int TERMINAL_COLUMNS = 80;

    /** A terminal's height in rows until the client resizes it. */
    public static final int TERMINAL_ROWS = 24;

    public SandboxRequest {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(code, "code");
        arguments = List.copyOf(arguments);
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be > 0: " + timeout);
        }
        Objects.requireNonNull(stdin, "stdin");
        files = List.copyOf(files);
        Objects.requireNonNull(compileTimeout, "compileTimeout");
        if (compileTimeout.isNegative() || compileTimeout.isZero()) {
            throw new IllegalArgumentException("compileTimeout must be > 0: " + compileTimeout);
        }
        if (memoryLimit != null && memoryLimit <= 0) {
            throw new IllegalArgumentException("memoryLimit must be > 0: " + memoryLimit);
        }
    }

    public SandboxRequest(
            RunId runId,
            LanguageSpec spec,
            String code,
            List<String> arguments,
            Map<String, String> environment,
            Duration timeout,
            StdinSource stdin,
            boolean tty) {
        this(runId, spec, code, arguments, environment, timeout, stdin, tty, List.of(), DEFAULT_COMPILE_TIMEOUT, null);
    }

    /** A request without standard input or terminal. */
    public SandboxRequest(
            RunId runId,
            LanguageSpec spec,
            String code,
            List<String> arguments,
            Map<String, String> environment,
            Duration timeout) {
        this(runId, spec, code, arguments, environment, timeout, StdinSource.EMPTY, false);
    }

    /** A builder for a run of {@code code} in {@code spec}, no arguments or environment, a 5 s timeout. */
    public static Builder builder(RunId runId, LanguageSpec spec, String code) {
        return new Builder(runId, spec, code);
    }

    /** This request with other code (e.g. an inline expression expanded). */
    public SandboxRequest withCode(String newCode) {
        return new SandboxRequest(
                runId, spec, newCode, arguments, environment, timeout, stdin, tty, files, compileTimeout, memoryLimit);
    }

    /** The program's argv: the spec's entrypoint, then its cmd, then {@link #arguments()}. */
    public List<String> command() {
        var command =
                new ArrayList<String>(spec.entrypoint().size() + spec.cmd().size() + arguments.size());
        command.addAll(spec.entrypoint());
        command.addAll(spec.cmd());
        command.addAll(arguments);
        return List.copyOf(command);
    }

    /** Builds a {@link SandboxRequest}. Not thread-safe. */
    public static final class Builder {
        private final RunId runId;
        private final LanguageSpec spec;
        private final String code;
        private List<String> arguments = List.of();
        private Map<String, String> environment = Map.of();
        private Duration timeout = Duration.ofSeconds(5);
        private StdinSource stdin = StdinSource.EMPTY;
        private boolean tty;
        private List<SourceFile> files = List.of();
        private Duration compileTimeout = DEFAULT_COMPILE_TIMEOUT;
        private @Nullable Long memoryLimit;

        private Builder(RunId runId, LanguageSpec spec, String code) {
            this.runId = Objects.requireNonNull(runId, "runId");
            this.spec = Objects.requireNonNull(spec, "spec");
            this.code = Objects.requireNonNull(code, "code");
        }

        /** Appended to the command, each one argument. */
        public Builder arguments(List<String> arguments) {
            this.arguments = List.copyOf(arguments);
            return this;
        }

        /** Added to the program's environment. */
        public Builder environment(Map<String, String> environment) {
            this.environment = Objects.requireNonNull(environment, "environment");
            return this;
        }

        /** The program's wall-clock limit, enforced by the engine; must be positive. */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** The program's standard input; {@link StdinSource#EMPTY} by default. */
        public Builder stdin(StdinSource stdin) {
            this.stdin = Objects.requireNonNull(stdin, "stdin");
            return this;
        }

        /** Run the program on a pseudo-terminal; false by default. */
        public Builder tty(boolean tty) {
            this.tty = tty;
            return this;
        }

        public Builder files(List<SourceFile> files) {
            this.files = List.copyOf(files);
            return this;
        }

        public Builder compileTimeout(Duration compileTimeout) {
            this.compileTimeout = Objects.requireNonNull(compileTimeout, "compileTimeout");
            return this;
        }

        /** The run's own memory limit in bytes; null (the default) for the server's. */
        public Builder memoryLimit(@Nullable Long memoryLimit) {
            this.memoryLimit = memoryLimit;
            return this;
        }

        public SandboxRequest build() {
            return new SandboxRequest(
                    runId, spec, code, arguments, environment, timeout, stdin, tty, files, compileTimeout, memoryLimit);
        }
    }
}
