package dev.ranna.netty.e2e;

import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import java.util.LinkedHashMap;
import java.util.ServiceLoader;

/**
 * The sandbox behind the end-to-end tests: the real process sandbox, found through {@link ServiceLoader}
 * as the standalone server finds it (it is a runtime dependency of this module).
 */
final class E2eSandbox {
    private E2eSandbox() {}

    static SandboxProvider provider() {
        for (SandboxProvider provider : ServiceLoader.load(SandboxProvider.class)) {
            if (provider.name().equals("process")) {
                return provider;
            }
        }
        throw new IllegalStateException("ranna-sandbox-process is not on the test class path");
    }

    /** Bubblewrap when the host has it working, else the process sandbox's unisolated mode. */
    static SandboxConfig config(SandboxProvider provider) {
        if (provider.name().equals("process")
                && !provider.availability(SandboxConfig.defaults(), java.util.List.of())
                        .available()) {
            return SandboxConfig.of(java.util.Map.of("sandbox.process.isolation", "none"));
        }
        return SandboxConfig.defaults();
    }

    /** One language, {@code sh}, plus an alias, enough for every test. */
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
