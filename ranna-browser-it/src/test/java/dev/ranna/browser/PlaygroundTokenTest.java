package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;

/** With tokens on, the page loads (it holds no secret) and runs only with a token typed into its Token field. */
class PlaygroundTokenTest extends BrowserTestBase {
    private static final String TOKEN = "browser-test-token-5b1e";

    @Override
    String[] settings() {
        return new String[] {"api.tokens", TOKEN};
    }

    @Test
    void aWrongTokenIsRefusedVisiblyAndTheRightOneRuns() {
        // Refused requests and handshakes are logged by the browser itself.
        expectConsoleError("401");
        expectConsoleError("WebSocket connection to");
        page.driver.get(server.base().toString());
        page.field("Token");
        page.waitUntil(
                "the page to ask for a token",
                () -> page.alerts().toLowerCase(Locale.ROOT).contains("token"));
        // Blank the message so that the one after the wrong token is seen to be written anew.
        ((JavascriptExecutor) page.driver)
                .executeScript("document.querySelectorAll('[role=alert]').forEach(a => a.textContent = '');");
        page.field("Token").clear();
        page.field("Token").sendKeys("not-the-token", Keys.ENTER);
        page.waitUntil(
                "the page to say the token was refused",
                () -> page.alerts().toLowerCase(Locale.ROOT).contains("token"));
        assertThat(page.language().isEnabled())
                .as("languages offered with a wrong token")
                .isFalse();
        System.out.println("playground: with a wrong token the page says: " + Playground.excerpt(page.alerts()));

        page.field("Token").clear();
        page.field("Token").sendKeys(TOKEN, Keys.ENTER);
        page.chooseLanguage("python3");
        page.typeCode("print(\"token ok \" + str(3 * 3))");
        page.run();
        page.awaitOutput("token ok 9");
        page.awaitIdle();
        assertThat(page.driver.getCurrentUrl()).doesNotContain(TOKEN);
    }
}
