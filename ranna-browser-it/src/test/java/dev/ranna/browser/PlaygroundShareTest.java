package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** Share puts code and language in the URL's fragment; a fresh browser opening it gets both back. */
class PlaygroundShareTest extends BrowserTestBase {

    @Test
    void aSharedUrlOpenedInAFreshBrowserReproducesCodeAndLanguage() {
        page.open();
        page.chooseLanguage("perl");
        String code = "my $n = 6 * 7;\nprint \"shared answer $n\\n\";";
        page.typeCode(code);
        page.button("Share").click();
        page.waitUntil(
                "the URL to carry a fragment",
                () -> URI.create(page.driver.getCurrentUrl()).getRawFragment() != null);
        String shared = page.driver.getCurrentUrl();
        System.out.println("playground: shared URL " + shared);
        URI uri = URI.create(shared);
        assertThat(uri.getRawQuery())
                .as("nothing in the query: the snippet stays in the browser")
                .isNull();

        try (Chromium fresh = Chromium.start()) {
            Playground other = new Playground(fresh.driver, server.base());
            fresh.driver.get(shared);
            other.waitUntil(
                    "the shared language, perl", () -> other.chosenLanguage().equals("perl"));
            other.waitUntil("the shared code", () -> other.code().contains("shared answer $n"));
            other.run();
            other.awaitOutput("shared answer 42");
            other.awaitIdle();
            assertThat(fresh.requestsOutside(server.base())).isEmpty();
            assertThat(fresh.consoleErrors()).isEmpty();
        }
    }
}
