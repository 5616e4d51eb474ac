package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * One server and one browser per class, reused by its tests. After every test: no console errors (unless
 * the test said which ones it expects) and no request to anywhere but the server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class BrowserTestBase {
    PlaygroundServer server;
    Chromium chromium;
    Playground page;
    private final List<Predicate<String>> expectedConsoleErrors = new ArrayList<>();

    /** The configuration this class's server runs with, as key, value pairs. */
    String[] settings() {
        return new String[0];
    }

    @BeforeAll
    void startServerAndBrowser() {
        chromium = Chromium.start();
        server = PlaygroundServer.start(settings());
        page = new Playground(chromium.driver, server.base());
    }

    @AfterAll
    void stopServerAndBrowser() {
        if (chromium != null) {
            chromium.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void clearTheLogs() {
        expectedConsoleErrors.clear();
        chromium.clearLogs();
    }

    /** A console error this test provokes on purpose (a refused connection, say), matched by a substring. */
    void expectConsoleError(String substring) {
        expectedConsoleErrors.add(message -> message.contains(substring));
    }

    @AfterEach
    void noConsoleErrorsAndNoThirdPartyRequests() {
        List<String> errors = chromium.consoleErrors().stream()
                .filter(message -> expectedConsoleErrors.stream().noneMatch(p -> p.test(message)))
                .toList();
        assertThat(errors).as("console errors").isEmpty();
        assertThat(chromium.requestsOutside(server.base()))
                .as("requests to anywhere but the server")
                .isEmpty();
        assertThat(chromium.requests())
                .as("the page's requests were seen at all")
                .isNotEmpty();
    }
}
