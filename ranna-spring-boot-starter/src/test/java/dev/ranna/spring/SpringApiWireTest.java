package dev.ranna.spring;

import dev.ranna.api.tck.ApiWireSuite;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The shared wire suite against a Spring Boot application with the starter: its Tomcat on a random port, the
 * real process sandbox, the API under a path prefix, and ranna's own keys as {@code ranna.*} properties.
 */
class SpringApiWireTest extends ApiWireSuite {
    private static ConfigurableApplicationContext context;

    @BeforeAll
    static void startApplication() {
        context = TestApplication.start(Map.of(
                "ranna.web.pathprefix",
                "/ranna",
                "ranna.api.tokens",
                TOKEN,
                "ranna.api.cors.allowedorigins",
                ALLOWED_ORIGIN,
                "ranna.api.ws.maxmessagesize",
                Integer.toString(MAX_MESSAGE_BYTES)));
    }

    @AfterAll
    static void stopApplication() {
        context.close();
    }

    @Override
    protected URI baseUri() {
        return URI.create("http://127.0.0.1:" + TestApplication.port(context) + "/ranna");
    }
}
