package dev.ranna.spring;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.SandboxSelection;
import dev.ranna.engine.spi.Availability;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code ranna} health component: UP while the selected sandbox can run programs, DOWN (with the
 * sandbox's reason) when its availability probe says it no longer can, e.g. the Docker daemon stopped.
 * Details: the sandbox's name, version and isolation, the runs active. The probe starts processes (or asks
 * the Docker daemon), so its result is reused for 30 s.
 *
 * <p>Thread-safe. When the application gave its own engine (no selection is known), the sandbox is not
 * probed and the component is UP with the engine's details.
 */
public final class RannaHealthIndicator implements HealthIndicator {
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(30);

    private final RannaEngine engine;
    private final @Nullable SandboxSelection selection;
    private @Nullable Availability lastProbe;
    private long lastProbeAt;

    RannaHealthIndicator(RannaEngine engine, @Nullable SandboxSelection selection) {
        this.engine = engine;
        this.selection = selection;
    }

    @Override
    public Health health() {
        Availability availability = availability();
        Health.Builder builder = availability == null || availability.available() ? Health.up() : Health.down();
        builder.withDetail("sandbox", engine.sandboxName())
                .withDetail("version", engine.sandboxInfo().version())
                .withDetail("activeRuns", engine.activeRuns());
        if (selection != null) {
            builder.withDetail("isolation", selection.isolation().toString());
        }
        if (availability != null && !availability.available()) {
            builder.withDetail("reason", availability.reason());
        }
        return builder.build();
    }

    private synchronized @Nullable Availability availability() {
        if (selection == null) {
            return null;
        }
        long now = System.nanoTime();
        if (lastProbe == null || now - lastProbeAt >= PROBE_INTERVAL.toNanos()) {
            try {
                lastProbe = selection
                        .provider()
                        .availability(selection.config(), engine.specs().specs());
            } catch (RuntimeException e) {
                lastProbe = Availability.unavailable("availability probe failed: " + e);
            }
            lastProbeAt = now;
        }
        return lastProbe;
    }
}
