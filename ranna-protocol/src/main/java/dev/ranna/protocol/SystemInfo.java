package dev.ranna.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The body of {@code GET /v1/info}: {@code {"version", "builddate", "go_version", "sandbox": {"type",
 * "version", ...}}}. ranna's web app reads {@code go_version}; here it carries the Java runtime version.
 *
 * @param version the server's version
 * @param buildDate when the server was built
 * @param runtimeVersion the Java runtime version, sent as {@code go_version}
 * @param sandbox the sandbox in use
 */
public record SystemInfo(String version, String buildDate, String runtimeVersion, Sandbox sandbox) {
    public SystemInfo {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(buildDate, "buildDate");
        Objects.requireNonNull(runtimeVersion, "runtimeVersion");
        Objects.requireNonNull(sandbox, "sandbox");
    }

    /**
     * The {@code sandbox} object.
     *
     * @param type the sandbox provider's name (e.g. {@code "docker"}, {@code "process"})
     * @param version the sandbox's version (engine or tool version)
     * @param details additive fields, e.g. the isolation level, written after {@code type} and
     *     {@code version} in their iteration order
     */
    public record Sandbox(String type, String version, Map<String, String> details) {
        public Sandbox {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(version, "version");
            details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
        }
    }
}
