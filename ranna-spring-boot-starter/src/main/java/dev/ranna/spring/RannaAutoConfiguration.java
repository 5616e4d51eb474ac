package dev.ranna.spring;

import dev.ranna.engine.EngineKeys;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.SandboxSelection;
import dev.ranna.engine.SandboxSelector;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.access.ApiKeys;
import dev.ranna.engine.access.IpLiterals;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.playground.PlaygroundAssets;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.Servlet;
import jakarta.websocket.server.ServerContainer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * ranna in a Spring Boot application: a {@link RannaEngine} configured from the {@code ranna.*} properties
 * (ranna's keys, meaning and defaults; see {@link RannaSettings}), the sandbox chosen as the standalone server
 * chooses it ({@link SandboxSelector} over every provider on the class path, {@code ranna.sandbox.type} to
 * name one), and in a servlet web application ranna's WebSocket and REST API at {@code
 * <ranna.web.pathprefix>/v1/*} on the application's own port ({@link RannaServlet}).
 *
 * <p>Backs off: an application {@link RannaEngine} bean replaces the engine (the API serves it); an
 * application {@link SandboxProvider} bean is used instead of discovery. A {@link RannaEngineCustomizer} bean
 * adjusts the engine before it is built. With Micrometer's {@link MeterRegistry} in the context, the engine's
 * {@code ranna.*} meters go there; with Boot's health support, a {@code ranna} health component reports the
 * sandbox's availability. The engine is closed (its runs killed) when the context closes.
 *
 * <p>When nothing isolating can run (no bubblewrap, no Docker), programs would run unisolated: the engine
 * starts only if {@code server.address} is a loopback address, and then serves loopback origins only, as the
 * standalone server's local development mode does; {@code ranna.api.dangerouslyexposeunisolated=true}
 * lifts both.
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = "ranna", name = "enabled", havingValue = "true", matchIfMissing = true)
public class RannaAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(RannaAutoConfiguration.class);

    /** The {@code ranna.*} properties, read and checked once. */
    @Bean
    @ConditionalOnMissingBean
    public RannaSettings rannaSettings(Environment environment) {
        return RannaSettings.read(environment, RannaEngine.discoverSandboxes(classLoader()));
    }

    /**
     * The sandbox the engine runs on: the application's {@link SandboxProvider} bean if it has one, else the
     * standalone server's automatic selection.
     */
    @Bean
    @ConditionalOnMissingBean({SandboxSelection.class, RannaEngine.class})
    public SandboxSelection rannaSandboxSelection(
            RannaSettings settings, Environment environment, ObjectProvider<SandboxProvider> applicationProvider) {
        Optional<SpecRegistry> specs = operatorSpecs(settings);
        SandboxProvider given = applicationProvider.getIfUnique();
        if (given != null) {
            return SandboxSelector.of(List.of(given))
                    .config(settings.sandboxConfig())
                    .specs(specs.orElse(null))
                    .given(given);
        }
        boolean mayRunUnisolated = settings.get(ApiKeys.DANGEROUSLY_EXPOSE_UNISOLATED) || loopbackOnly(environment);
        SandboxSelection selection = settings.selector(RannaEngine.discoverSandboxes(classLoader()))
                .specs(specs.orElse(null))
                .allowUnisolatedFallback(mayRunUnisolated)
                .select();
        if (selection.isolation().none()) {
            log.warn(
                    "ranna: programs run WITHOUT ISOLATION, as plain processes of this application's user ({});"
                            + " install bubblewrap or start Docker",
                    selection.reason());
        }
        return selection;
    }

    /** The engine, closed with the context. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public RannaEngine rannaEngine(
            RannaSettings settings, SandboxSelection selection, ObjectProvider<RannaEngineCustomizer> customizers) {
        RannaEngine.Builder builder = RannaEngine.builder()
                .sandbox(selection)
                .limits(settings.limits())
                .shutdownTimeout(settings.get(EngineKeys.SHUTDOWN_TIMEOUT))
                .classLoader(classLoader());
        operatorSpecs(settings).ifPresent(builder::specs);
        settings.find(EngineKeys.SPEC_FILE)
                .ifPresent(file -> settings.find(EngineKeys.UPDATE_SPECS)
                        .flatMap(schedule -> schedule)
                        .ifPresent(schedule -> builder.reloadSpecs(() -> SpecRegistry.load(Path.of(file)), schedule)));
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.build();
    }

    private static Optional<SpecRegistry> operatorSpecs(RannaSettings settings) {
        return settings.find(EngineKeys.SPEC_FILE).map(file -> {
            try {
                return SpecRegistry.load(Path.of(file));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        RannaSettings.PREFIX + EngineKeys.SPEC_FILE.name() + ": " + e.getMessage(), e);
            }
        });
    }

    private static boolean loopbackOnly(Environment environment) {
        String address = environment.getProperty("server.address");
        return address != null && IpLiterals.isLoopback(address.trim());
    }

    private static ClassLoader classLoader() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return loader != null ? loader : RannaAutoConfiguration.class.getClassLoader();
    }

    /** The engine's meters in the application's registry. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static class MetricsConfiguration {
        @Bean
        RannaEngineCustomizer rannaMeterRegistryCustomizer(ObjectProvider<MeterRegistry> registry) {
            return builder -> {
                MeterRegistry available = registry.getIfUnique();
                if (available != null) {
                    builder.meterRegistry(available);
                }
            };
        }
    }

    /** The {@code ranna} health component. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class HealthConfiguration {
        @Bean
        @ConditionalOnMissingBean(name = "rannaHealthIndicator")
        RannaHealthIndicator rannaHealthIndicator(RannaEngine engine, ObjectProvider<SandboxSelection> selection) {
            return new RannaHealthIndicator(engine, selection.getIfAvailable());
        }
    }

    /** The API on the application's port, in a servlet web application with WebSocket support. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass({Servlet.class, ServerContainer.class})
    static class WebConfiguration {
        @Bean(destroyMethod = "close")
        ApiContext rannaApiContext(
                RannaEngine engine, RannaSettings settings, ObjectProvider<SandboxSelection> selection) {
            SandboxSelection chosen = selection.getIfAvailable();
            boolean unisolated = chosen != null && chosen.isolation().none();
            Map<String, String> details = new LinkedHashMap<>();
            if (unisolated) {
                details.put("isolation", "none");
            }
            return new ApiContext(
                    engine, settings, unisolated && !settings.get(ApiKeys.DANGEROUSLY_EXPOSE_UNISOLATED), details);
        }

        @Bean
        ServletRegistrationBean<RannaServlet> rannaServlet(ApiContext context, RannaSettings settings) {
            Properties build = buildInfo();
            var servlet = new RannaServlet(
                    context,
                    clean(build.getProperty("version"), "dev"),
                    clean(build.getProperty("builddate"), "unknown"));
            String mapping = settings.pathPrefix() + "/v1/*";
            var registration = new ServletRegistrationBean<>(servlet, mapping);
            registration.setName("ranna");
            registration.setAsyncSupported(true);
            registration.setLoadOnStartup(1);
            log.info("ranna: API at {} (WebSocket {}/v1/ws)", mapping, settings.pathPrefix());
            return registration;
        }

        /** The browser playground at the prefix's root, unless {@code ranna.api.playground} is false. */
        @Bean
        @ConditionalOnProperty(prefix = "ranna.api", name = "playground", havingValue = "true", matchIfMissing = true)
        ServletRegistrationBean<PlaygroundServlet> rannaPlaygroundServlet(RannaSettings settings) {
            String prefix = settings.pathPrefix();
            var servlet = new PlaygroundServlet(PlaygroundAssets.load(), prefix);
            // "" is the context root exactly (not "/", which would take every path from the application).
            String[] mappings = prefix.isEmpty()
                    ? new String[] {"", "/playground/*"}
                    : new String[] {prefix, prefix + "/", prefix + "/playground/*"};
            var registration = new ServletRegistrationBean<>(servlet, mappings);
            registration.setName("ranna-playground");
            log.info("ranna: playground at {}/", prefix);
            return registration;
        }

        private static Properties buildInfo() {
            var properties = new Properties();
            try (InputStream in =
                    RannaAutoConfiguration.class.getResourceAsStream("/dev/ranna/spring/build.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            } catch (IOException e) {
                // The placeholders below: a missing version must not stop the application.
            }
            return properties;
        }

        private static String clean(@Nullable String value, String fallback) {
            return value == null || value.isBlank() || value.startsWith("${") ? fallback : value.trim();
        }
    }
}
