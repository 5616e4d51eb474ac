package dev.ranna.bench;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.json.SpecMapReader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server under test, run in its own JVM by {@link ServerProcess} so its heap and RSS are its own.
 * Arguments are {@code key=value}: {@code sandbox} ({@code process}|{@code docker}), {@code projects} ({@code
 * true} adds the compiled language {@code c}), {@code pool} (Docker
 * warm pool size), {@code maxOutput} (bytes), {@code timeout} (seconds), {@code maxConcurrent}; keys
 * starting with {@code sandbox.} go to the sandbox configuration as they are.
 *
 * <p>Prints {@code PORT <n>} once listening, then answers commands on stdin, one per line: {@code heap}
 * (two full GCs, then {@code HEAP <used> <committed>}), {@code conns} ({@code CONNS <n>}), {@code quit}.
 */
public final class BenchServer {

    /** The one language the benchmarks use, the same for both sandboxes. */
    static final String LANGUAGE = "sh";

    static final String IMAGE = "ranna-test/busybox:local";

    /** The image of the language {@code c} in the Docker sandbox: Debian with gcc (built by {@code .ci/run}). */
    static final String TOOLCHAIN_IMAGE = "ranna-test/toolchain:local";

    /** The compiled language of the project benchmark: gcc in a compile stage, then the binary. */
    static final String C_LANGUAGE = "c";

    private BenchServer() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            opts.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        String sandbox = opts.getOrDefault("sandbox", "process");
        var props = new LinkedHashMap<String, String>();
        props.put(SandboxConfig.SKIP_STARTUP_PREP, "true");
        props.put("sandbox.docker.pool.size", opts.getOrDefault("pool", "2"));
        props.put("sandbox.docker.images", IMAGE + "," + TOOLCHAIN_IMAGE);
        opts.forEach((key, value) -> {
            if (key.startsWith("sandbox.")) {
                props.put(key, value);
            }
        });
        RunLimits limits = RunLimits.builder()
                .timeout(Duration.ofSeconds(Long.parseLong(opts.getOrDefault("timeout", "20"))))
                .maxOutputBytes(Long.parseLong(opts.getOrDefault("maxOutput", Long.toString(1024 * 1024))))
                .maxConcurrentRuns(Integer.parseInt(opts.getOrDefault("maxConcurrent", "16")))
                .maxQueuedRuns(256)
                // The engine's default (5 ms) unless an experiment sets it.
                .coalesceDelay(Duration.ofMillis(Long.parseLong(opts.getOrDefault("coalesceMs", "5"))))
                .maxCoalesceBytes(Integer.parseInt(
                        opts.getOrDefault("maxCoalesce", Integer.toString(RunLimits.DEFAULTS.maxCoalesceBytes()))))
                // The load generator is many clients on one loopback address.
                .maxRunsPerClient(0)
                .build();
        RannaEngine engine = RannaEngine.builder()
                .sandboxName(sandbox)
                .sandboxConfig(SandboxConfig.of(props))
                .specs(SpecRegistry.of(specs(Boolean.parseBoolean(opts.getOrDefault("projects", "false")))))
                .limits(limits)
                .build();
        RannaServer server = RannaServer.builder()
                .engine(engine)
                .host("127.0.0.1")
                .port(0)
                .options(ServerOptions.builder()
                        .maxConnectionsPerClient(0)
                        .maxConnectionsPerAddress(0)
                        .build())
                .build()
                .start();
        System.out.println("PORT " + server.port());
        System.out.flush();
        var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            switch (line.trim()) {
                case "heap":
                    System.gc();
                    Thread.sleep(100); // let reference processing from the first GC finish before the second
                    System.gc();
                    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
                    System.out.println("HEAP " + heap.getUsed() + " " + heap.getCommitted());
                    break;
                case "conns":
                    System.out.println("CONNS " + server.webSocketConnections());
                    break;
                case "quit":
                    server.close();
                    System.out.println("BYE");
                    System.out.flush();
                    System.exit(0);
                    break;
                default:
                    System.out.println("ERR unknown command " + line);
            }
            System.out.flush();
        }
        server.close();
        System.exit(0);
    }

    /**
     * {@code sh}: the code as {@code main.sh}, run by {@code /bin/sh} (busybox in the Docker image); with
     * {@code projects}, also {@code c}: {@code main.c} and its project files compiled by gcc in a compile stage
     * ({@link Raw#PROJECT_COMPILE}), then {@code ./main} (only then, so the other sections run on a sandbox
     * without the compile capability too). Read as an operator's spec file is, so the compile stage is the
     * spec map's own field.
     */
    static SpecMap specs(boolean projects) {
        String json =
                "{\"" + LANGUAGE + "\":{\"image\":\"" + IMAGE + "\",\"entrypoint\":\"/bin/sh\",\"cmd\":\"main.sh\","
                        + "\"filename\":\"main.sh\",\"language\":\"shell\"}";
        if (projects) {
            json += ",\"" + C_LANGUAGE + "\":{\"image\":\"" + TOOLCHAIN_IMAGE + "\",\"compile\":\""
                    + Raw.PROJECT_COMPILE + "\",\"cmd\":\"./main\",\"filename\":\"main.c\",\"language\":\"c\"}";
        }
        return SpecMapReader.create().read(json + "}");
    }
}
