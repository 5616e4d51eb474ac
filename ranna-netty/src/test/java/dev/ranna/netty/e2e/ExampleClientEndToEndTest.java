package dev.ranna.netty.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.internal.StandaloneConfig;
import dev.ranna.netty.internal.StandaloneLauncher;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The README's example client, {@code examples/RannaClient.java}, run as the README runs it ({@code java
 * RannaClient.java}, a separate JVM) against a server started the README way (standalone, default spec map,
 * process sandbox): its default seed run and its {@code --interactive} demo must work.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExampleClientEndToEndTest {
    private static final Logger log = LoggerFactory.getLogger(ExampleClientEndToEndTest.class);
    private static final Path CLIENT = Path.of("examples", "RannaClient.java");

    private static RannaServer start() {
        SandboxProvider provider = E2eSandbox.provider();
        boolean bubblewrap =
                provider.availability(SandboxConfig.defaults(), List.of()).available();
        Map<String, String> env = bubblewrap ? Map.of() : Map.of("RANNA_SANDBOX_PROCESS_ISOLATION", "none");
        return StandaloneLauncher.start(
                StandaloneConfig.load(List.of("--host", "127.0.0.1", "--port", "0", "--sandbox", "process"), env),
                ExampleClientEndToEndTest.class.getClassLoader());
    }

    /** Runs the example in its own JVM, as the README does; returns its exit code and output. */
    private static Result runClient(String... args) throws Exception {
        assertThat(CLIENT).as("the example, from the module directory").isRegularFile();
        var argv = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), CLIENT.toString()));
        argv.addAll(List.of(args));
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the client ended").isTrue();
        log.info("java {} {}: exit {}\n{}", CLIENT, String.join(" ", args), process.exitValue(), output);
        return new Result(process.exitValue(), output);
    }

    record Result(int exitCode, String output) {}

    @Test
    void defaultRunStillShowsTheSeedExample() throws Exception {
        try (RannaServer server = start()) {
            Result result = runClient("ws://127.0.0.1:" + server.port() + "/v1/ws");

            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output())
                    .contains("\"stderr\":\"\uD83D\uDC4B\\n\"")
                    .contains("{\"code\":4,\"nonce\":1,");
        }
    }

    @Test
    void interactiveDemoAnswersThePromptAndInterruptsTheLoop() throws Exception {
        try (RannaServer server = start()) {
            Result result = runClient("--interactive", "ws://127.0.0.1:" + server.port() + "/v1/ws");

            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output())
                    .contains("\"interactive\":true")
                    .contains("What is your name? ")
                    .contains("{\"op\":3,")
                    .contains("Hello, Ada!")
                    .contains("{\"op\":4,")
                    .contains("caught SIGINT, goodbye Ada")
                    .contains("\"exitcode\":0");
        }
    }
}
