package dev.ranna.spring;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application with nothing but the starter and spring-boot-starter-web (and actuator for the
 * health test), started on a random loopback port, with one language, {@code sh}, and its alias {@code shell}.
 */
@SpringBootApplication
class TestApplication {

    @Bean
    RannaEngineCustomizer shOnly() {
        return builder -> builder.specs(shSpecs());
    }

    static SpecRegistry shSpecs() {
        var entries = new LinkedHashMap<String, SpecEntry>();
        entries.put(
                "sh",
                SpecEntry.builder()
                        .entrypoint("/bin/sh")
                        .filename("main.sh")
                        .language("shell")
                        .example("echo hi")
                        .build());
        entries.put("shell", SpecEntry.alias("sh"));
        return SpecRegistry.of(new SpecMap(entries));
    }

    /** Starts the application with these properties (and a random port on loopback). */
    static ConfigurableApplicationContext start(Map<String, Object> properties) {
        var all = new LinkedHashMap<String, Object>();
        all.put("server.port", "0");
        all.put("server.address", "127.0.0.1");
        all.put("ranna.shutdowntimeoutseconds", "5");
        all.putAll(sandboxProperties());
        all.putAll(properties);
        return new SpringApplicationBuilder(TestApplication.class)
                .properties(all)
                .run();
    }

    /**
     * The process sandbox, with bubblewrap when the host has it working, else (as the Netty server's end-to-end
     * tests do) without isolation; then also the origins a test uses, since the server listens on loopback
     * only anyway.
     */
    static Map<String, String> sandboxProperties() {
        if (bubblewrapWorks()) {
            return Map.of("ranna.sandbox.type", "process");
        }
        return Map.of(
                "ranna.sandbox.type", "process",
                "ranna.sandbox.process.isolation", "none",
                "ranna.api.dangerouslyexposeunisolated", "true");
    }

    private static boolean bubblewrapWorks() {
        return RannaEngine.discoverSandboxes(TestApplication.class.getClassLoader()).stream()
                .filter(provider -> provider.name().equals("process"))
                .anyMatch(provider -> provider.availability(SandboxConfig.defaults(), List.of())
                        .available());
    }

    static int port(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }
}
