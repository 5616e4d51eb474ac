package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.json.Json;
import org.openqa.selenium.support.ui.Select;

/** Running code from the page: every default language, keyboard typing, Ctrl-Enter, stdout and stderr. */
class PlaygroundRunTest extends BrowserTestBase {

    /** The languages the server offers (aliases left out), in the spec's order. */
    private List<String> languages() throws Exception {
        HttpResponse<String> spec = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(server.base().resolve("/v1/spec"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(spec.statusCode()).isEqualTo(200);
        Map<String, Object> map = new Json().toType(spec.body(), Map.class);
        var languages = new ArrayList<String>();
        map.forEach((key, entry) -> {
            if (entry instanceof Map<?, ?> fields && !fields.containsKey("use")) {
                languages.add(key);
            }
        });
        return languages;
    }

    @Test
    void helloWorldInEachDefaultLanguageFromItsExample() throws Exception {
        List<String> languages = languages();
        assertThat(languages).as("the process sandbox's defaults on this host").contains("python3", "sh");
        page.open();
        List<String> offered = new Select(page.language())
                .getOptions().stream().map(o -> o.getAttribute("value")).toList();
        assertThat(offered)
                .as("the Language choices: the spec's languages, aliases hidden")
                .containsExactlyInAnyOrderElementsOf(languages);
        for (String language : languages) {
            long start = System.nanoTime();
            page.open();
            page.chooseLanguage(language);
            page.waitUntil(
                    "the " + language + " example in the editor",
                    () -> page.code().contains("Hello, World!"));
            page.run();
            page.awaitOutput("Hello, World!");
            page.awaitIdle();
            System.out.printf(
                    "playground: %s hello world in %d ms%n", language, (System.nanoTime() - start) / 1_000_000);
        }
    }

    @Test
    void codeTypedWithTheKeyboardRunsWithCtrlEnterAndStderrIsShownToo() {
        page.open();
        page.chooseLanguage("python3");
        page.typeCode("import sys\nprint(\"out-\" + str(6 * 7))\nprint(\"err-\" + str(2 + 3), file=sys.stderr)");
        page.editor().click();
        page.ctrlEnter();
        page.awaitOutput("out-42");
        page.awaitOutput("err-5");
        page.awaitIdle();
        // On a terminal (the default where the server offers one) stdout and stderr are one stream; without
        // it (the "tty" choice off) the page draws them differently.
        WebElement tty = page.field("tty");
        if (tty.isSelected()) {
            tty.click();
        }
        page.run();
        // Polled, not read once: the previous run's lines are on the page until this run clears them.
        page.waitUntil(
                "stderr drawn unlike stdout",
                () -> page.output().contains("out-42")
                        && page.output().contains("err-5")
                        && !page.styleOf("err-5").equals(page.styleOf("out-42")));
        page.awaitIdle();
        tty.click();
        // Then the run's end: its exit code and time.
        page.waitUntil(
                "the exit code and time shown",
                () -> EXIT_AND_TIME.matcher(page.pageText()).find());
    }

    private static final java.util.regex.Pattern EXIT_AND_TIME =
            java.util.regex.Pattern.compile("(?is)exit\\D{0,12}0\\b.*\\d+\\s*ms");

    @Test
    void theChosenLanguageIsRemembered() {
        page.open();
        page.chooseLanguage("sh");
        page.driver.navigate().refresh();
        page.waitUntil("the remembered language sh", () -> page.chosenLanguage().equals("sh"));
    }

    @Test
    void aStaleRememberedLanguageFallsBackToTheFirst() throws Exception {
        page.open();
        page.chooseLanguage("sh");
        // Whatever key the page remembers the language under, make every remembered value name no language.
        page.driver.navigate().refresh();
        ((org.openqa.selenium.JavascriptExecutor) page.driver)
                .executeScript("for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i);"
                        + " if (localStorage.getItem(k) === 'sh') localStorage.setItem(k, 'no-such-language'); }");
        page.driver.navigate().refresh();
        String first = languages().get(0);
        page.waitUntil(
                "the first language, " + first, () -> page.chosenLanguage().equals(first));
        page.waitUntil("its example in the editor", () -> page.code().contains("Hello, World!"));
    }
}
