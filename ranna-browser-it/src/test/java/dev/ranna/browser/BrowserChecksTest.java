package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.JavascriptExecutor;

/**
 * The checks every browser test ends with can fail: a console error is seen, and the page's
 * Content-Security-Policy refuses a connection anywhere but the server (so a third-party request cannot
 * even be made; one that were made would be in the request log, which is checked too).
 */
class BrowserChecksTest extends BrowserTestBase {

    @Test
    void aConsoleErrorIsSeenAndTheContentSecurityPolicyRefusesOtherOrigins() {
        page.open();
        JavascriptExecutor js = (JavascriptExecutor) page.driver;
        js.executeScript("console.error('browser-check-probe');");
        // 127.0.0.2 is another origin (the server listens on 127.0.0.1 only).
        js.executeScript("fetch('http://127.0.0.2:9/x').catch(() => {});");
        page.waitUntil(
                "the console to show the probe and the refused connection",
                () -> chromium.consoleErrors().stream().anyMatch(m -> m.contains("browser-check-probe"))
                        && chromium.consoleErrors().stream()
                                .anyMatch(m -> m.contains("Content Security Policy") && m.contains("127.0.0.2")));
        assertThat(chromium.requestsOutside(server.base()))
                .as("the refused request never left the browser")
                .isEmpty();
        assertThat(chromium.requests())
                .anyMatch(url -> url.startsWith(server.base().toString()));
        // What this test provoked is not an error of the page's.
        chromium.clearLogs();
        page.driver.navigate().refresh();
        page.button("Run");
    }
}
