package dev.ranna.netty.internal;

import dev.ranna.engine.EngineKeys;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.SandboxSelection;
import dev.ranna.engine.SandboxSelector;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.access.IpLiterals;
import dev.ranna.engine.spi.SandboxConfig;
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
import java.util.LinkedHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link StandaloneConfig} into a running server: picks the sandbox (and says why), applies the
 * local development rules when programs would run without isolation, builds the engine and starts the
 * server.
 */
public final class StandaloneLauncher {
    private static final Logger log = LoggerFactory.getLogger(StandaloneLauncher.class);

    private StandaloneLauncher() {}

    /**
     * Starts the server.
     *
     * @throws ConfigException when the configuration cannot be used (exit code 2)
     * @throws IllegalStateException when no sandbox can run or the server cannot start (exit code 1)
     */
    public static RannaServer start(StandaloneConfig config, ClassLoader loader) {
        SpecRegistry operatorSpecs =
                config.specFile().map(StandaloneLauncher::loadSpecs).orElse(null);
        SandboxSelection selection = select(config, operatorSpecs);
        boolean unisolated = selection.isolation().none();
        String host = config.host();
        ServerOptions.Builder options = config.serverOptions().toBuilder();
        if (unisolated) {
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
                .sandbox(selection)
                .limits(config.limits())
                .meterRegistry(registry)
                .shutdownTimeout(config.shutdownTimeout())
                .classLoader(loader);
        if (operatorSpecs != null) {
            engineBuilder.specs(operatorSpecs);
        }
        config.specFile().ifPresent(path -> {
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
            throw new ConfigException(String.valueOf(e.getMessage()), e);
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
            throw new ConfigException(EngineKeys.SPEC_FILE.name() + ": " + e.getMessage(), e);
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
                    + ServerKeys.DANGEROUSLY_EXPOSE_UNISOLATED.name() + "=true");
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
     * The engine's one selection, with the operator's configuration and languages; when nothing isolating
     * can run, a provider's configuration without isolation (local development mode, which {@link #start}
     * then confines to loopback).
     *
     * @throws ConfigException if {@code sandbox.type} names no provider
     * @throws IllegalStateException if nothing can run, with one line per provider saying why
     */
    static SandboxSelection select(StandaloneConfig config, @Nullable SpecRegistry specs) {
        try {
            return SandboxSelector.of(config.providers())
                    .name(config.sandboxType().orElse(null))
                    .config(SandboxConfig.of(config.sandboxProperties()))
                    .specs(specs)
                    .allowUnisolatedFallback(true)
                    .select();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(String.valueOf(e.getMessage()), e);
        }
    }
}
