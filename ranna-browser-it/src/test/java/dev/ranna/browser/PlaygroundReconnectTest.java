package dev.ranna.browser;

import org.junit.jupiter.api.Test;

/** The server restarted under an open page: a visible, recoverable state, then runs work again. */
class PlaygroundReconnectTest extends BrowserTestBase {

    @Test
    void theServerRestartedUnderThePageAndThePageReconnects() {
        page.open();
        page.chooseLanguage("python3");
        page.typeCode("print(\"before \" + str(1 + 1))");
        page.run();
        page.awaitOutput("before 2");
        page.awaitIdle();

        // While the server is down the browser logs its failed attempts to connect.
        expectConsoleError("WebSocket connection to");
        expectConsoleError("ERR_CONNECTION_REFUSED");
        server.stop();
        page.waitUntil(
                "the page to say it is disconnected", () -> page.pageText().contains("Disconnected"));
        page.button("Reconnect");

        server.startAgain();
        // The page may reconnect by itself; else the Reconnect button does it.
        page.findButton("Reconnect").ifPresent(button -> {
            try {
                button.click();
            } catch (org.openqa.selenium.WebDriverException gone) {
                // It reconnected (and removed the button) between finding and clicking.
            }
        });
        page.waitUntil("the page to be connected again", () -> !page.pageText().contains("Disconnected"));
        page.typeCode("print(\"after \" + str(2 + 2))");
        page.run();
        page.awaitOutput("after 4");
        page.awaitIdle();
    }
}
