package dev.ranna.netty.e2e;

import dev.ranna.api.tck.ApiWireSuite;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared wire suite against the Netty server: a real {@link RannaServer} on port 0 and real processes. */
class NettyApiWireTest extends ApiWireSuite {
    private static RannaServer server;

    @BeforeAll
    static void startServer() {
        SandboxProvider provider = E2eSandbox.provider();
        RannaEngine engine = RannaEngine.builder()
                .sandbox(provider)
                .sandboxConfig(E2eSandbox.config(provider))
                .specs(E2eSandbox.specs())
                .limits(RunLimits.builder().timeout(Duration.ofSeconds(20)).build())
                .shutdownTimeout(Duration.ofSeconds(5))
                .build();
        server = RannaServer.builder()
                .engine(engine)
                .host("127.0.0.1")
                .port(0)
                .options(ServerOptions.builder()
                        .tokens(Set.of(TOKEN))
                        .corsAllowedOrigins(List.of(ALLOWED_ORIGIN))
                        .maxMessageBytes(MAX_MESSAGE_BYTES)
                        .build())
                .build()
                .start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected URI baseUri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }
}
