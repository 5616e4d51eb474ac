package dev.ranna.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.OutputType;

/**
 * The playground's screenshots: idle, running with a prompt, after an error. Always written to
 * target/screenshots/; with {@code -Dranna.screenshots=true} also to the tracked docs/playground-*.png that
 * the README shows, so a normal build never rewrites tracked files.
 */
class PlaygroundScreenshotTest extends BrowserTestBase {

    @Override
    String[] settings() {
        return new String[] {"sandbox.timeoutseconds", "3"};
    }

    private void shoot(String name) throws IOException {
        byte[] png = chromium.driver.getScreenshotAs(OutputType.BYTES);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image.getWidth()).isGreaterThan(600);
        assertThat(image.getHeight()).isGreaterThan(400);
        var targets = new java.util.ArrayList<Path>();
        targets.add(Path.of(System.getProperty("ranna.screenshots.target", "target/screenshots")));
        if (Boolean.getBoolean("ranna.screenshots")) {
            targets.add(Path.of(System.getProperty("ranna.screenshots.docs", "../docs")));
        }
        for (Path dir : targets) {
            Files.createDirectories(dir);
            Path file = dir.resolve("playground-" + name + ".png");
            Files.write(file, png);
            System.out.println("playground: screenshot " + file.toAbsolutePath().normalize());
        }
    }

    @Test
    void idleRunningWithAPromptAndAfterAnError() throws IOException {
        page.open();
        page.chooseLanguage("python3");
        page.waitUntil("the example in the editor", () -> page.code().contains("Hello, World!"));
        shoot("idle");

        page.typeCode("name = input(\"What is your name? \")\n"
                + "print(\"Hello, \" + name + \"!\")\n"
                + "colour = input(\"Favourite colour? \")\n"
                + "print(\"A fine colour, \" + colour + \".\")");
        page.run();
        page.awaitOutput("What is your name? ");
        page.typeInput("Ada");
        page.awaitOutput("Favourite colour? ");
        shoot("prompt");
        page.button("Stop").click();
        page.awaitIdle();

        page.typeCode("import time\nprint(\"Working...\", flush=True)\nwhile True: time.sleep(1)");
        page.run();
        page.awaitAlert("timed out");
        page.awaitIdle();
        shoot("error");
    }
}
