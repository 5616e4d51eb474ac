package dev.ranna.client.e2e;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.sandbox.tck.Infrastructure;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * A real {@link RannaServer} on a free port of 127.0.0.1 with the real process sandbox (bubblewrap when the
 * host has it working, else the process sandbox's unisolated mode, as ranna-netty's end-to-end tests run it).
 */
final class TestServer {
    private TestServer() {}

    static RannaServer start(RunLimits limits, ServerOptions options) {
        SandboxProvider provider = ServiceLoader.load(SandboxProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("process"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("ranna-sandbox-process is not on the test class path"));
        SandboxConfig config = SandboxConfig.defaults();
        if (!provider.availability(config, List.of()).available()) {
            config = SandboxConfig.of(Map.of("sandbox.process.isolation", "none"));
        }
        var availability = provider.availability(config, List.of());
        Infrastructure.require(availability.available(), "process sandbox not available: " + availability.reason());
        RannaEngine engine = RannaEngine.builder()
                .sandbox(provider)
                .sandboxConfig(config)
                .specs(specs())
                .limits(limits)
                .shutdownTimeout(java.time.Duration.ofSeconds(5))
                .build();
        return RannaServer.builder()
                .engine(engine)
                .host("127.0.0.1")
                .port(0)
                .options(options)
                .build()
                .start();
    }

    /** {@code sh} and its alias {@code shell}. */
    static SpecRegistry specs() {
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
}
