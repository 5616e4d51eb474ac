package dev.ranna.client.e2e;

import dev.ranna.engine.RunLimits;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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

    @Override
    protected URI baseUri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    @Override
    protected int activeRuns() {
        return server.engine().activeRuns();
    }
}
