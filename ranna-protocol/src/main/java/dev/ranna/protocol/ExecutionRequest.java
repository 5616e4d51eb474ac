package dev.ranna.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * ranna's {@code models.ExecutionRequest}: the arguments of an EXEC operation and the body of
 * {@code POST /v1/exec}.
 *
 * <p>This record only holds what the client sent; whether the language exists, the code is non-empty
 * and within limits, or the environment keys are acceptable is decided by the engine.
 *
 * @param language the spec map key (aliases allowed)
 * @param code the source code
 * @param inlineExpression whether {@code code} is an inline expression to be wrapped in the spec's template
 * @param arguments appended to the program's command line, each one argument (copied, unmodifiable)
 * @param environment added to the program's environment, in the order given (copied, unmodifiable)
 * @param stdin written to the program's standard input first; empty when the client sent none (an empty
 *     {@code stdin} and none mean the same: the program reads EOF at once unless {@code interactive})
 * @param interactive standard input stays open after {@code stdin} until the client ends it (WebSocket only)
 * @param tty the program runs on a pseudo-terminal
 * @param files more files beside the main one, in the order given (copied, unmodifiable; empty when the
 *     client sent none)
 * @param limits the run's own limits, each only lowering the server's ({@link RequestLimits#NONE} when the
 *     client sent none)
 */
public record ExecutionRequest(
        String language,
        String code,
        boolean inlineExpression,
        List<String> arguments,
        Map<String, String> environment,
        String stdin,
        boolean interactive,
        boolean tty,
        List<ProjectFile> files,
        RequestLimits limits) {

    public ExecutionRequest {
        Objects.requireNonNull(language, "language");
        Objects.requireNonNull(code, "code");
        arguments = List.copyOf(arguments);
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        environment.forEach((key, value) -> {
            Objects.requireNonNull(key, "environment key");
            Objects.requireNonNull(value, "environment value");
        });
        Objects.requireNonNull(stdin, "stdin");
        files = List.copyOf(files);
        Objects.requireNonNull(limits, "limits");
    }

    /** A request without files or limits of its own. */
    public ExecutionRequest(
            String language,
            String code,
            boolean inlineExpression,
            List<String> arguments,
            Map<String, String> environment,
            String stdin,
            boolean interactive,
            boolean tty) {
        this(
                language,
                code,
                inlineExpression,
                arguments,
                environment,
                stdin,
                interactive,
                tty,
                List.of(),
                RequestLimits.NONE);
    }

    /** A request without standard input or terminal (ranna's fields only). */
    public ExecutionRequest(
            String language,
            String code,
            boolean inlineExpression,
            List<String> arguments,
            Map<String, String> environment) {
        this(language, code, inlineExpression, arguments, environment, "", false, false);
    }

    /** This request with other standard input and terminal settings. */
    public ExecutionRequest withInput(String stdin, boolean interactive, boolean tty) {
        return new ExecutionRequest(
                language, code, inlineExpression, arguments, environment, stdin, interactive, tty, files, limits);
    }

    /** This request with other files and limits (a project: several files, limits below the server's). */
    public ExecutionRequest withProject(List<ProjectFile> newFiles, RequestLimits newLimits) {
        return new ExecutionRequest(
                language, code, inlineExpression, arguments, environment, stdin, interactive, tty, newFiles, newLimits);
    }

    /** A request with no inline expression, arguments or environment. */
    public static ExecutionRequest of(String language, String code) {
        return new ExecutionRequest(language, code, false, List.of(), Map.of());
    }
}
