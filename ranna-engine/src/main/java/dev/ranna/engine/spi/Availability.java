package dev.ranna.engine.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Whether a {@link SandboxProvider} can run here.
 *
 * @param available whether it can
 * @param reason a one-line explanation an operator can act on, e.g. {@code "bwrap not found on PATH;
 *     install it with: apt-get install bubblewrap"}; for an available provider, what it found
 * @param details facts about what it would enforce on this host (e.g. {@code memory=cgroup v1}),
 *     for operators choosing a sandbox; a created sandbox reports its own in {@link Sandbox#info()}
 */
public record Availability(boolean available, String reason, Map<String, String> details) {

    public Availability {
        Objects.requireNonNull(reason, "reason");
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** Available, with what was found. */
    public static Availability available(String reason) {
        return new Availability(true, reason, Map.of());
    }

    /** Unavailable, with why. */
    public static Availability unavailable(String reason) {
        return new Availability(false, reason, Map.of());
    }

    /** This availability with details added. */
    public Availability withDetails(Map<String, String> more) {
        var merged = new LinkedHashMap<>(details);
        merged.putAll(more);
        return new Availability(available, reason, merged);
    }
}
