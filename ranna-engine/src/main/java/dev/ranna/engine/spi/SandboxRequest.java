package dev.ranna.engine.spi;

import dev.ranna.protocol.RunId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to run: a resolved spec, the code (inline expressions already expanded), arguments and
 * environment, validated by the engine.
 *
 * @param runId the run's id, for labels and logs
 * @param spec the language spec, aliases resolved
 * @param code the program text, to be written to {@link LanguageSpec#filename()} in the working directory
 * @param arguments appended to the command, each one argument, never split by a shell
 * @param environment added to the program's environment; keys are non-empty and contain no {@code =} or NUL
 * @param timeout wall-clock limit for the program; the sandbox kills it then
 */
public record SandboxRequest(
        RunId runId,
        LanguageSpec spec,
        String code,
        List<String> arguments,
        Map<String, String> environment,
        Duration timeout) {

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
}
