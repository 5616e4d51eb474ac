package dev.ranna.netty.internal;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link StandaloneConfig} into a running server: picks the sandbox (and says why), applies the
 * local development rules when programs would run without isolation, builds the engine and starts the
 * server.
 */
public final class StandaloneLauncher {
    private static final Logger log = LoggerFactory.getLogger(StandaloneLauncher.class);

    static final String DOCKER = "docker";
    static final String PROCESS = "process";
    static final String ISOLATION_KEY = "sandbox.process.isolation";

    private StandaloneLauncher() {}

    /** The sandbox to use and why. */
    record Selection(SandboxProvider provider, boolean unisolated, String reason) {}

    /**
     * Starts the server.
     *
     * @throws ConfigException when the configuration cannot be used (exit code 2)
     * @throws IllegalStateException when no sandbox can run or the server cannot start (exit code 1)
     */
    public static RannaServer start(StandaloneConfig config, ClassLoader loader) {
        Selection selection =
                select(RannaEngine.discoverSandboxes(loader), config.sandboxType(), config.sandboxProperties());
        log.info("sandbox: {} ({})", selection.provider().name(), selection.reason());

        var sandboxProperties = new LinkedHashMap<>(config.sandboxProperties());
        if (selection.unisolated()) {
            sandboxProperties.put(ISOLATION_KEY, "none");
        }
        String host = config.host();
        ServerOptions.Builder options = config.serverOptions().toBuilder();
        if (selection.unisolated()) {
            host = localDevelopmentHost(config, host);
            if (!config.dangerouslyExposeUnisolated()) {
                options.loopbackOriginsOnly(true);
            }
            var details = new LinkedHashMap<>(config.serverOptions().infoDetails());
            details.put("isolation", "none");
            options.infoDetails(details);
            warnUnisolated(host, config.dangerouslyExposeUnisolated());
        }

        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);

        RannaEngine.Builder engineBuilder = RannaEngine.builder()
                .sandbox(selection.provider())
                .sandboxConfig(SandboxConfig.of(sandboxProperties))
                .limits(config.limits())
                .meterRegistry(registry)
                .shutdownTimeout(config.shutdownTimeout())
                .classLoader(loader);
        config.specFile().ifPresent(path -> {
            engineBuilder.specs(loadSpecs(path));
            config.updateSpecs().ifPresent(schedule -> {
                log.info("languages: re-reading {} on schedule '{}'", path, schedule);
                engineBuilder.reloadSpecs(() -> SpecRegistry.load(path), schedule);
            });
        });
        RannaEngine engine;
        try {
            engine = engineBuilder.build();
        } catch (IllegalArgumentException e) {
            // A provider rejects a sandbox.* value it owns.
            throw new ConfigException(e.getMessage(), e);
        }
        if (config.specFile().isEmpty()) {
            log.info(
                    "languages: the {} sandbox's defaults {} (set specfile to choose)",
                    selection.provider().name(),
                    engine.specs().languages());
        }
        try {
            return RannaServer.builder()
                    .engine(engine)
                    .host(host)
                    .port(config.port())
                    .options(options.build())
                    .meterRegistry(registry)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            engine.close();
            if (e instanceof UncheckedIOException) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            throw e;
        }
    }

    private static SpecRegistry loadSpecs(Path path) {
        try {
            SpecRegistry specs = SpecRegistry.load(path);
            log.info("languages: {} from {}", specs.languages(), path);
            return specs;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new ConfigException(ConfigKey.SPEC_FILE.name() + ": " + e.getMessage(), e);
        }
    }

    /** Where to listen when programs run without isolation: loopback, unless explicitly and dangerously told. */
    private static String localDevelopmentHost(StandaloneConfig config, String host) {
        if (IpLiterals.isLoopback(host) || config.dangerouslyExposeUnisolated()) {
            return host;
        }
        if (config.bindAddressExplicit()) {
            throw new ConfigException("api.bindaddress: refusing to listen on " + host
                    + " while programs run without isolation (anyone who can connect could run any command as"
                    + " this user). Install bubblewrap (apt-get install bubblewrap) or start Docker; or listen on"
                    + " 127.0.0.1; or, if you really mean it, set "
                    + ConfigKey.DANGEROUSLY_EXPOSE_UNISOLATED.name() + "=true");
        }
        return "127.0.0.1";
    }

    private static void warnUnisolated(String host, boolean exposed) {
        String line = "*".repeat(78);
        log.warn(
                "\n{}\n"
                        + "*  WARNING: programs run WITHOUT ISOLATION, as plain processes of this server's user:\n"
                        + "*  they can read, change and delete anything this user can.\n"
                        + "*  {}\n"
                        + "*  Fix: apt-get install bubblewrap   (or start Docker), then restart the server.\n"
                        + "{}",
                line,
                exposed
                        ? "api.dangerouslyexposeunisolated=true: listening on " + host
                                + " and accepting any WebSocket origin. DO NOT DO THIS ON A SHARED NETWORK."
                        : "Local development mode: listening on " + host
                                + " only; WebSocket upgrades only from loopback origins.",
                line);
    }

    /**
     * Picks the sandbox: the configured {@code sandbox.type}; else Docker when available, else the process
     * sandbox when available (bubblewrap), else any other available provider by priority, else the
     * process sandbox without isolation.
     *
     * @throws ConfigException if {@code sandbox.type} names no provider
     * @throws IllegalStateException if nothing can run, with one line per provider saying why
     */
    static Selection select(List<SandboxProvider> providers, Optional<String> type, Map<String, String> properties) {
        boolean isolationNone = "none"
                .equalsIgnoreCase(properties.getOrDefault(ISOLATION_KEY, "").trim());
        if (type.isPresent()) {
            SandboxProvider provider = find(providers, type.get())
                    .orElseThrow(() -> new ConfigException("sandbox.type: no sandbox named '" + type.get()
                            + "' on the class path; found: " + names(providers)));
            boolean unisolated = provider.name().equals(PROCESS) && isolationNone;
            if (!unisolated) {
                Availability availability = probe(provider);
                if (!availability.available()) {
                    throw new IllegalStateException(
                            "sandbox '" + provider.name() + "' is unavailable: " + availability.reason());
                }
                return new Selection(provider, false, "configured by sandbox.type; " + availability.reason());
            }
            return new Selection(provider, true, "configured by sandbox.type with " + ISOLATION_KEY + "=none");
        }
        Optional<SandboxProvider> process = find(providers, PROCESS);
        if (isolationNone && process.isPresent()) {
            return new Selection(process.get(), true, ISOLATION_KEY + "=none is configured");
        }
        var ordered = new ArrayList<SandboxProvider>();
        find(providers, DOCKER).ifPresent(ordered::add);
        process.ifPresent(ordered::add);
        var others = new ArrayList<SandboxProvider>();
        for (SandboxProvider provider : providers) {
            if (!ordered.contains(provider)) {
                others.add(provider);
            }
        }
        others.sort(
                Comparator.comparingInt(SandboxProvider::priority).reversed().thenComparing(SandboxProvider::name));
        ordered.addAll(others);
        var tried = new StringBuilder();
        for (SandboxProvider provider : ordered) {
            Availability availability = probe(provider);
            if (availability.available()) {
                String because = tried.length() == 0 ? "" : "; passed over:" + tried;
                return new Selection(provider, false, "available: " + availability.reason() + because);
            }
            log.info("sandbox '{}' is unavailable: {}", provider.name(), availability.reason());
            tried.append(tried.length() == 0 ? " " : "; ")
                    .append(provider.name())
                    .append(": ")
                    .append(availability.reason());
        }
        if (process.isPresent()) {
            return new Selection(
                    process.get(),
                    true,
                    "no isolating sandbox is available (" + tried.toString().trim()
                            + "), so the process sandbox runs WITHOUT isolation in local development mode");
        }
        if (ordered.isEmpty()) {
            throw new IllegalStateException(
                    "no sandbox provider on the class path; add ranna-sandbox-process or ranna-sandbox-docker");
        }
        throw new IllegalStateException(
                "no usable sandbox. Tried: " + tried.toString().trim());
    }

    private static Availability probe(SandboxProvider provider) {
        try {
            return provider.availability();
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("availability probe failed: " + e);
        }
    }

    private static Optional<SandboxProvider> find(List<SandboxProvider> providers, String name) {
        for (SandboxProvider provider : providers) {
            if (provider.name().equalsIgnoreCase(name.trim())) {
                return Optional.of(provider);
            }
        }
        return Optional.empty();
    }

    private static List<String> names(List<SandboxProvider> providers) {
        var names = new ArrayList<String>();
        providers.forEach(p -> names.add(p.name()));
        return names;
    }
}
