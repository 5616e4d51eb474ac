package dev.ranna.netty.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.netty.RannaServer;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.Usage;
import dev.ranna.protocol.json.ClientCodec;
import dev.ranna.sandbox.tck.Infrastructure;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feature {@code usage} over real WebSockets (and REST) on both real sandboxes: the CPU time of a 1 s
 * busy loop, the peak memory of a 50 MiB allocation, an OOM kill reported as {@code oomkilled}, and
 * {@code "usage"} in {@code /v1/info}'s features. The sandbox is found through {@link ServiceLoader} as the
 * standalone server finds it.
 */
class UsageEndToEndTest {
    private static final Logger log = LoggerFactory.getLogger(UsageEndToEndTest.class);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long MIB = 1024 * 1024;
    private static final long LIMIT = 100 * MIB;
    private static final String IMAGE = "ranna-test/busybox:local";

    /** Spins until the shell's own CPU time (utime + stime, 1/100 s ticks) reaches 1 s. */
    private static final String CPU_SECOND_LOOP = "while :; do\n"
            + "  read -r stat < /proc/self/stat\n"
            + "  set -- ${stat#*) }\n"
            + "  [ $(( ${12} + ${13} )) -ge 100 ] && break\n"
            + "done\n"
            + "echo spun\n";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private RannaServer server;
    private WebSocket socket;

    @AfterEach
    void stop() {
        if (socket != null) {
            socket.abort();
        }
        if (server != null) {
            server.close();
        }
    }

    private void start(String sandbox) {
        SandboxProvider provider = ServiceLoader.load(SandboxProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(sandbox))
                .findFirst()
                .orElseThrow();
        SandboxConfig config = sandbox.equals("docker")
                ? SandboxConfig.of(Map.of(
                        SandboxConfig.SKIP_STARTUP_PREP,
                        "true",
                        "scheduler.updateimages",
                        "off",
                        "sandbox.docker.images",
                        IMAGE))
                : E2eSandbox.config(provider);
        var availability = provider.availability(config, List.of());
        Infrastructure.require(
                availability.available(), "sandbox " + sandbox + " is not available here: " + availability.reason());
        var entries = new LinkedHashMap<String, SpecEntry>();
        var spec = SpecEntry.builder().entrypoint("/bin/sh").filename("main.sh");
        if (sandbox.equals("docker")) {
            spec.image(IMAGE);
        }
        entries.put("sh", spec.build());
        RannaEngine engine = RannaEngine.builder()
                .sandbox(provider)
                .sandboxConfig(config)
                .specs(SpecRegistry.of(new SpecMap(entries)))
                .limits(RunLimits.builder().timeout(Duration.ofSeconds(20)).build())
                .shutdownTimeout(Duration.ofSeconds(5))
                .build();
        server = RannaServer.builder()
                .engine(engine)
                .host("127.0.0.1")
                .port(0)
                .build()
                .start();
    }

    /** Runs {@code code} over a real WebSocket and returns its STOP's result. */
    private RunResult execOverWebSocket(String code) throws Exception {
        var listener = new RecordingListener();
        socket = http.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/v1/ws"), listener)
                .join();
        socket.sendText("{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"sh\",\"code\":" + json(code) + "}}", true)
                .join();
        assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Spawn.class);
        Event end = listener.nextNonLog(WAIT);
        assertThat(end).as("the run's last event").isInstanceOf(Event.Stop.class);
        return ((Event.Stop) end).result();
    }

    private ExecutionResponse execOverRest(String code) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/exec"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"language\":\"sh\",\"code\":" + json(code) + "}"))
                        .timeout(WAIT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return ClientCodec.create().decodeExecutionResponse(response.body());
    }

    private static String json(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    private static String allocate(long bytes) {
        return "dd if=/dev/zero of=/dev/null bs=" + bytes + " count=1 2>/dev/null && echo allocated\n";
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void busyLoopReportsItsCpuTimeAndInfoListsUsage(String sandbox) throws Exception {
        start(sandbox);
        HttpResponse<String> info = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/info"))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(info.body()).containsPattern("\"features\":\\[[^\\]]*\"usage\"");

        RunResult result = execOverWebSocket(CPU_SECOND_LOOP);
        log.info("{}: 1 s busy loop: {}", sandbox, result);
        assertThat(result.exitCode()).isZero();
        Usage usage = result.usage();
        assertThat(usage).as("usage of %s", result).isNotNull();
        assertThat(usage.cpuTimeMs()).isGreaterThanOrEqualTo(700);
        assertThat(result.oomKilled()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void fiftyMebibyteAllocationReportsItsPeakOverWebSocketAndRest(String sandbox) throws Exception {
        start(sandbox);
        RunResult result = execOverWebSocket(allocate(50 * MIB));
        ExecutionResponse rest = execOverRest(allocate(50 * MIB));
        log.info("{}: 50 MiB allocation: WebSocket {}, REST {}", sandbox, result, rest.result());
        for (RunResult each : List.of(result, rest.result())) {
            assertThat(each.exitCode()).isZero();
            Usage usage = each.usage();
            assertThat(usage).as("usage of %s", each).isNotNull();
            assertThat(usage.memoryBytes()).isBetween(50 * MIB, LIMIT - 1);
            assertThat(each.oomKilled()).isFalse();
        }
        assertThat(rest.stdout()).isEqualTo("allocated\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void allocationPastTheLimitIsReportedAsOomKilled(String sandbox) throws Exception {
        start(sandbox);
        // exec: the program itself is what the OOM killer ends, so its own wait status is SIGKILL on both
        // sandboxes (a shell that outlived a killed child would exit 137, which the process sandbox reports
        // exactly as an exit code).
        RunResult result = execOverWebSocket("exec " + allocate(LIMIT + 64 * MIB));
        log.info("{}: allocation past the limit: {}", sandbox, result);
        assertThat(result.oomKilled()).as("%s", result).isTrue();
        assertThat(result.signal()).isEqualTo("SIGKILL");
        assertThat(result.killed()).isFalse();
        assertThat(result.timedOut()).isFalse();
    }
}
