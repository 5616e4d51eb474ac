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
 */
public record ExecutionRequest(
        String language,
        String code,
        boolean inlineExpression,
        List<String> arguments,
        Map<String, String> environment) {

    public ExecutionRequest {
        Objects.requireNonNull(language, "language");
        Objects.requireNonNull(code, "code");
        arguments = List.copyOf(arguments);
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        environment.forEach((key, value) -> {
            Objects.requireNonNull(key, "environment key");
            Objects.requireNonNull(value, "environment value");
        });
    }

    /** A request with no inline expression, arguments or environment. */
    public static ExecutionRequest of(String language, String code) {
        return new ExecutionRequest(language, code, false, List.of(), Map.of());
    }
}
