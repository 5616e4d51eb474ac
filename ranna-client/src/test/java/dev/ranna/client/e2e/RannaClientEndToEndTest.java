package dev.ranna.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.client.RannaClient;
import dev.ranna.client.RannaConnection;
import dev.ranna.client.RannaException;
import dev.ranna.client.RannaRun;
import dev.ranna.engine.RunLimits;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.ExecutionRequest;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client's end-to-end suite against the Netty server ({@link RannaServer}) with the process sandbox. */
class RannaClientEndToEndTest extends AbstractRannaClientEndToEndTest {
    private RannaServer server;

    @BeforeAll
    void startServer() {
        server = TestServer.start(
                RunLimits.builder()
                        .timeout(Duration.ofSeconds(30))
                        .maxOutputBytes(FLOOD_OUTPUT_LIMIT)
                        .maxRunsPerSession(RUNS_PER_CONNECTION)
                        .maxRunsPerClient(0)
                        .build(),
                ServerOptions.builder().tokens(Set.of(TOKEN)).build());
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void a_rate_limited_exec_fails_its_stop_with_429() throws Exception {
        try (RannaServer limited = TestServer.start(
                RunLimits.builder().rateLimit(1, Duration.ofMinutes(10)).build(), ServerOptions.DEFAULTS)) {
            RannaClient client = RannaClient.builder()
                    .baseUri("http://127.0.0.1:" + limited.port())
                    .build();
            try (RannaConnection connection = client.connect()) {
                assertThat(connection
                                .exec(ExecutionRequest.of("sh", "echo one"), e -> {})
                                .await()
                                .exitCode())
                        .isZero();
                RannaRun second = connection.exec(ExecutionRequest.of("sh", "echo two"), e -> {});
                assertThatThrownBy(second::await)
                        .isExactlyInstanceOf(RannaException.class)
                        .hasMessage("you have been rate limited")
                        .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(429));
            }
        }
    }

    @Override
    protected URI baseUri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    @Override
    protected int activeRuns() {
        return server.engine().activeRuns();
    }
}
