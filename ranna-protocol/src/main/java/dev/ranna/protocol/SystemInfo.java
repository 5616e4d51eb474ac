package dev.ranna.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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
 * @param features the protocol extensions this server supports ({@code "features"}, e.g. {@code "usage"}),
 *     in the order given; written only when not empty
 */
public record SystemInfo(
        String version, String buildDate, String runtimeVersion, Sandbox sandbox, List<String> features) {
    public SystemInfo {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(buildDate, "buildDate");
        Objects.requireNonNull(runtimeVersion, "runtimeVersion");
        Objects.requireNonNull(sandbox, "sandbox");
        features = List.copyOf(features);
    }

    /** Info of a server that supports no protocol extension ({@code features} absent). */
    public SystemInfo(String version, String buildDate, String runtimeVersion, Sandbox sandbox) {
        this(version, buildDate, runtimeVersion, sandbox, List.of());
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
