package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

/** Prompts answered in the terminal, EOF, Ctrl-C and Stop, from the page. */
class PlaygroundInteractiveTest extends BrowserTestBase {

    @Test
    void aPythonProgramAnswersTwoPromptsTypedIntoTheTerminal() {
        page.open();
        page.chooseLanguage("python3");
        page.typeCode("name = input(\"Name? \")\n"
                + "colour = input(\"Colour? \")\n"
                + "print(\"Hello \" + name + \", you like \" + colour + \".\")");
        page.run();
        page.awaitOutput("Name? ");
        page.typeInput("Ada");
        page.awaitOutput("Colour? ");
        page.typeInput("green");
        page.awaitOutput("Hello Ada, you like green.");
        page.awaitIdle();
    }

    @Test
    void eofEndsTheProgramsInput() {
        page.open();
        page.chooseLanguage("python3");
        page.typeCode("import sys\ndata = sys.stdin.read()\nprint(\"read \" + str(len(data.split())) + \" words\")");
        page.run();
        page.button("Stop");
        page.typeInput("one two");
        page.typeInput("three");
        page.button("EOF").click();
        page.awaitOutput("read 3 words");
        page.awaitIdle();
    }

    @Test
    void ctrlCEndsALoop() {
        page.open();
        page.chooseLanguage("python3");
        page.typeCode("import time\nn = 0\nwhile True: n += 1; print(\"tick\", n, flush=True); time.sleep(0.1)");
        page.run();
        page.awaitOutput("tick 3");
        page.button("Ctrl-C").click();
        page.awaitIdle();
        assertEndedBySigint();
    }

    @Test
    void ctrlCTypedInTheTerminalEndsALoop() {
        page.open();
        page.chooseLanguage("python3");
        page.typeCode("import time\nn = 0\nwhile True: n += 1; print(\"tock\", n, flush=True); time.sleep(0.1)");
        page.run();
        page.awaitOutput("tock 3");
        page.typeInputKeys(Keys.chord(Keys.CONTROL, "c"));
        page.awaitIdle();
        assertEndedBySigint();
    }

    @Test
    void stopKillsARunningProgram() {
        page.open();
        page.chooseLanguage("sh");
        page.typeCode("trap '' INT TERM\ni=0\nwhile true; do i=$((i+1)); echo \"beat $i\"; sleep 0.1; done");
        page.run();
        page.awaitOutput("beat 3");
        long start = System.nanoTime();
        page.button("Stop").click();
        page.awaitIdle();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("playground: Stop to Run again in %d ms%n", took.toMillis());
        assertThat(took).isLessThan(Duration.ofSeconds(10));
    }

    /**
     * The run ended by SIGINT after Python printed its whole traceback: KeyboardInterrupt at the end of
     * the output, and SIGINT as the signal the run ended with (STOP's signal, shown with the exit). The
     * terminal's SIGINT also reaches the process sandbox's waiter, which ignores it; when it did not, the
     * waiter died with the program's output still on its way and the traceback was cut short.
     */
    private void assertEndedBySigint() {
        page.waitUntil(
                "the run to have ended by SIGINT after the whole traceback",
                () -> page.pageText().contains("SIGINT") && page.output().contains("KeyboardInterrupt"));
    }
}
