package dev.ranna.spring;

import dev.ranna.client.e2e.AbstractRannaClientEndToEndTest;
import dev.ranna.engine.RannaEngine;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * ranna-client's end-to-end suite (the one the Netty server passes) against a Spring Boot application with the
 * starter: REST, streamed, killed and interactive runs, refusals as exceptions, a slow consumer whose heap stays
 * flat, lost connections. The API is under a path prefix, so the client's prefix handling is exercised too; the
 * server is configured with ranna's keys as the suite requires.
 */
class SpringRannaClientEndToEndTest extends AbstractRannaClientEndToEndTest {
    private ConfigurableApplicationContext context;

    @BeforeAll
    void startApplication() {
        context = TestApplication.start(Map.of(
                "ranna.web.pathprefix",
                "/ranna",
                "ranna.api.tokens",
                TOKEN,
                "ranna.api.maxrunsperconnection",
                Integer.toString(RUNS_PER_CONNECTION),
                "ranna.api.maxrunsperclient",
                "0",
                "ranna.api.maxoutputlen",
                Long.toString(FLOOD_OUTPUT_LIMIT),
                "ranna.sandbox.timeoutseconds",
                "30"));
    }

    @AfterAll
    void stopApplication() {
        if (context != null) {
            context.close();
        }
    }

    @Override
    protected URI baseUri() {
        return URI.create("http://127.0.0.1:" + TestApplication.port(context) + "/ranna");
    }

    @Override
    protected int activeRuns() {
        return context.getBean(RannaEngine.class).activeRuns();
    }
}
