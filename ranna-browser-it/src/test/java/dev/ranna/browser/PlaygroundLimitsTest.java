package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** ERROR events as readable messages, and a megabyte of output with the page still answering clicks. */
class PlaygroundLimitsTest extends BrowserTestBase {
    static final Duration RESPONSIVE = Duration.ofSeconds(5);

    @Override
    String[] settings() {
        return new String[] {"sandbox.timeoutseconds", "4", "api.maxoutputlen", "2M"};
    }

    @Test
    void aTimeoutIsShownAsAMessage() {
        page.open();
        page.chooseLanguage("sh");
        page.typeCode("while true; do :; done");
        page.run();
        page.awaitAlert("timed out");
        page.awaitIdle();
    }

    @Test
    void theOutputLimitIsShownAsAMessage() {
        page.open();
        page.chooseLanguage("python3");
        page.typeCode("while True: print(\"z\" * 1000)");
        page.run();
        page.awaitAlert("output limit");
        page.awaitIdle();
    }

    @Test
    void aMegabyteOfOutputLeavesThePageResponsive() {
        page.open();
        page.chooseLanguage("python3");
        // 10,486 lines of 100 bytes: 1 MiB, then a last line to wait for.
        page.typeCode("import sys\nsys.stdout.write((\"y\" * 99 + \"\\n\") * 10486)\nprint(\"END-OF-OUTPUT\")");
        long start = System.nanoTime();
        page.run();
        page.awaitOutput("END-OF-OUTPUT", Duration.ofSeconds(60));
        page.awaitIdle();
        long end = System.nanoTime();
        // The next click takes effect: Add file puts a new tab up. (Not Run: a second run of this program
        // can be over before the button is seen to say Stop.)
        int tabs = page.all("[role=tab]").size();
        page.button("Add file").click();
        page.waitUntil("a new tab", () -> page.all("[role=tab]").size() == tabs + 1);
        long clicked = System.nanoTime();
        Duration toEnd = Duration.ofNanos(end - start);
        Duration toClick = Duration.ofNanos(clicked - end);
        System.out.printf(
                "playground: 1 MiB of output shown in %d ms; the next click took effect %d ms after%n",
                toEnd.toMillis(), toClick.toMillis());
        assertThat(toClick).as("end of output to the next click taking effect").isLessThan(RESPONSIVE);
        int held = page.output().length();
        System.out.printf("playground: the output region holds %d characters of the 1 MiB%n", held);
        assertThat(held).as("what the page holds of the output").isGreaterThan(0);
        if (held < 10486 * 100) {
            // Cut to keep the page usable: then it says so.
            assertThat(page.pageText().toLowerCase(java.util.Locale.ROOT))
                    .as("the page saying what was cut")
                    .contains("cut");
        }
    }
}
