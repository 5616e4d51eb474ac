package dev.ranna.engine;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.SandboxProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds sandbox providers with {@link ServiceLoader} and picks one. */
final class SandboxSelector {
    private static final Logger log = LoggerFactory.getLogger(SandboxSelector.class);

    private SandboxSelector() {}

    /** Every provider that could be instantiated; a broken one is logged and skipped. */
    static List<SandboxProvider> discover(ClassLoader loader) {
        var providers = new ArrayList<SandboxProvider>();
        Iterator<SandboxProvider> it =
                ServiceLoader.load(SandboxProvider.class, loader).iterator();
        // A broken entry throws from hasNext() or next(); the iterator moves past it, so keep going,
        // but guard against an iterator that keeps failing on the same entry.
        for (int failures = 0; failures < 100; ) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                providers.add(it.next());
            } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
                failures++;
                log.warn("skipping a sandbox provider that could not be loaded: {}", e.toString());
            }
        }
        return providers;
    }

    /**
     * Picks a provider: the one named {@code name} (which must be available), else the available one
     * with the highest priority, ties broken by name.
     *
     * @throws IllegalStateException with one line per provider saying why, if none can run
     */
    static SandboxProvider select(List<SandboxProvider> providers, @Nullable String name) {
        var sorted = new ArrayList<>(providers);
        sorted.sort(
                Comparator.comparingInt(SandboxProvider::priority).reversed().thenComparing(SandboxProvider::name));
        var report = new StringBuilder();
        for (SandboxProvider provider : sorted) {
            if (name != null && !provider.name().equals(name)) {
                continue;
            }
            Availability availability = probe(provider);
            if (availability.available()) {
                log.info(
                        "selected sandbox '{}' ({}){}",
                        provider.name(),
                        availability.reason(),
                        name != null ? " as configured" : ", the highest-priority available one");
                return provider;
            }
            log.info("sandbox '{}' is unavailable: {}", provider.name(), availability.reason());
            report.append("\n  ")
                    .append(provider.name())
                    .append(": unavailable: ")
                    .append(availability.reason());
        }
        if (name != null && report.length() == 0) {
            var names = new ArrayList<String>();
            sorted.forEach(p -> names.add(p.name()));
            throw new IllegalStateException(
                    "no sandbox provider named '" + name + "'; found: " + (names.isEmpty() ? "none" : names));
        }
        if (sorted.isEmpty()) {
            throw new IllegalStateException(
                    "No sandbox provider on the class path; add ranna-sandbox-process" + " or ranna-sandbox-docker");
        }
        throw new IllegalStateException("No usable sandbox provider. Tried:" + report);
    }

    private static Availability probe(SandboxProvider provider) {
        try {
            return provider.availability();
        } catch (RuntimeException | LinkageError e) {
            log.warn("sandbox '{}' failed its availability probe", provider.name(), e);
            return Availability.unavailable("availability probe failed: " + e);
        }
    }
}
