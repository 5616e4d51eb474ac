package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/** Extra files in tabs, and a compile stage shown apart from the program's output. */
class PlaygroundFilesTest extends BrowserTestBase {

    @Test
    void aSecondFileInATabIsCompiledWithTheFirstAndTheCompileStageIsShown() {
        page.open();
        page.chooseLanguage("c");
        page.typeCode("#include <stdio.h>\n"
                + "int twice(int x);\n"
                + "int main(void) { printf(\"twice 21 is %d\\n\", twice(21)); return 0; }");

        page.button("Add file").click();
        // The new tab's name is editable: the selected tab's name field.
        WebElement name = page.waitFor(
                "the new file's name field",
                () -> page
                        .all(
                                "[role=tab][aria-selected=true] input, [role=tabpanel] input[type=text], input[aria-label*='name' i]")
                        .stream()
                        .filter(WebElement::isDisplayed)
                        .findFirst());
        name.sendKeys(Keys.chord(Keys.CONTROL, "a"), "util.c", Keys.ENTER);
        page.waitUntil(
                "a tab named util.c",
                () -> page.all("[role=tab]").stream()
                        .anyMatch(tab ->
                                tab.getText().contains("util.c") || valueOf(tab).contains("util.c")));
        page.typeCode("int twice(int x) { return 2 * x; }");

        page.run();
        page.awaitOutput("twice 21 is 42", java.time.Duration.ofSeconds(60));
        page.awaitIdle();
        page.waitUntil(
                "the compile stage's time shown",
                () -> COMPILE_TIME.matcher(page.pageText()).find());
        System.out.println("playground: after a compiled run the page shows: " + Playground.excerpt(page.pageText()));
        assertThat(page.output()).doesNotContain("undeclared");

        // A compile error: shown as the compile stage's output, apart from the program's, which never runs.
        page.typeCode("int twice(int x) { return 2 * y; }");
        page.run();
        page.awaitIdle();
        page.waitUntil("the compiler's error shown", () -> page.pageText().contains("undeclared"));
        assertThat(page.output())
                .as("the program's output")
                .doesNotContain("twice 21 is")
                .doesNotContain("undeclared");
        System.out.println("playground: after a failed compile the page shows: " + Playground.excerpt(page.pageText()));
    }

    private static final Pattern COMPILE_TIME = Pattern.compile("(?i)compil\\w*\\D{0,20}\\d+\\s*ms");

    private String valueOf(WebElement tab) {
        return tab.findElements(By.tagName("input")).stream()
                .map(i -> String.valueOf(i.getAttribute("value")))
                .findFirst()
                .orElse("");
    }
}
