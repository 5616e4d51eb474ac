package dev.ranna.browser;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.Select;

/**
 * The playground page as a user (and a screen reader) sees it: everything is found by its role and its
 * accessible name as the browser computes them (Chromium's accessibility tree, through WebDriver), never by
 * the page's CSS classes, so the tests hold the page to the names the issue fixes.
 */
final class Playground {
    static final Duration WAIT = Duration.ofSeconds(20);

    private static final String CANDIDATES_BUTTON = "button, [role=button], input[type=button], input[type=submit]";
    private static final String CANDIDATES_FIELD =
            "input, textarea, select, [role=textbox], [role=combobox], [contenteditable=true], [contenteditable='']";

    final WebDriver driver;
    final URI base;

    Playground(WebDriver driver, URI base) {
        this.driver = driver;
        this.base = base;
    }

    /** Opens the page afresh: remembered state (language, code) cleared first, so each test starts alike. */
    Playground open() {
        driver.get(base.toString());
        ((JavascriptExecutor) driver).executeScript("localStorage.clear(); sessionStorage.clear();");
        driver.get(base.toString());
        waitUntil("the Run button", () -> findButton("Run").isPresent());
        return this;
    }

    // ---------------------------------------------------------------------------------------------
    // Finding by role and accessible name

    private static String accessibleName(WebElement element) {
        String name = element.getAccessibleName();
        return name == null ? "" : name.trim();
    }

    private Optional<WebElement> findNamed(String css, String name) {
        return findNamed(css, name, true);
    }

    /**
     * {@code displayed}: only elements that are shown; else any (a terminal's input is an invisible
     * textarea that holds the keyboard focus, as in xterm.js).
     */
    private Optional<WebElement> findNamed(String css, String name, boolean displayed) {
        try {
            for (WebElement element : driver.findElements(By.cssSelector(css))) {
                if ((!displayed || element.isDisplayed())
                        && accessibleName(element).equals(name)) {
                    return Optional.of(element);
                }
            }
        } catch (StaleElementReferenceException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    Optional<WebElement> findButton(String name) {
        return findNamed(CANDIDATES_BUTTON, name);
    }

    WebElement button(String name) {
        return waitFor("a button named \"" + name + "\"", () -> findButton(name));
    }

    /** A form field or editor labelled {@code name} (its accessible name). */
    Optional<WebElement> findField(String name) {
        return findNamed(CANDIDATES_FIELD, name);
    }

    WebElement field(String name) {
        return waitFor("a field labelled \"" + name + "\"", () -> findField(name));
    }

    /** The output region: the element with role {@code log}. */
    WebElement log() {
        return waitFor(
                "the output (role=log)",
                () -> driver.findElements(By.cssSelector("[role=log]")).stream().findFirst());
    }

    /** All the output the page shows: the text of every role=log region (output, and a terminal's if it has one). */
    String output() {
        StringBuilder text = new StringBuilder();
        for (WebElement log : driver.findElements(By.cssSelector("[role=log]"))) {
            text.append(textOf(log)).append('\n');
        }
        return text.toString();
    }

    /**
     * How the output shows {@code text}: the class, colour, weight and background of the innermost element
     * of a role=log region that holds it.
     */
    String styleOf(String text) {
        Object style = ((JavascriptExecutor) driver)
                .executeScript(
                        "const text = arguments[0];"
                                + " for (const log of document.querySelectorAll('[role=log]')) {"
                                + "  const walker = document.createTreeWalker(log, NodeFilter.SHOW_TEXT);"
                                + "  for (let n = walker.nextNode(); n; n = walker.nextNode()) {"
                                + "   if (n.textContent.includes(text)) { const e = n.parentElement;"
                                + "    const s = getComputedStyle(e);"
                                + "    return e.className + '|' + s.color + '|' + s.fontWeight + '|' + s.backgroundColor; } } }"
                                + " return null;",
                        text);
        return String.valueOf(style);
    }

    /** The text of every role=alert element (ERROR events, the connection state). */
    String alerts() {
        StringBuilder text = new StringBuilder();
        for (WebElement alert : driver.findElements(By.cssSelector("[role=alert]"))) {
            text.append(textOf(alert)).append('\n');
        }
        return text.toString();
    }

    /** The whole page's visible text (what is hidden is not in it). */
    String pageText() {
        return driver.findElement(By.tagName("body")).getText();
    }

    private String textOf(WebElement element) {
        Object text = ((JavascriptExecutor) driver).executeScript("return arguments[0].textContent;", element);
        return text == null ? "" : text.toString().replace('\u00a0', ' ');
    }

    // ---------------------------------------------------------------------------------------------
    // Doing things

    WebElement language() {
        return field("Language");
    }

    /** Chooses the language whose spec key is {@code key} in the Language combobox. */
    void chooseLanguage(String key) {
        WebElement combobox = waitFor(
                "the Language combobox to be enabled",
                () -> Optional.of(language()).filter(WebElement::isEnabled));
        if (combobox.getTagName().equalsIgnoreCase("select")) {
            Select select = new Select(combobox);
            for (WebElement option : select.getOptions()) {
                if (key.equals(option.getAttribute("value"))) {
                    select.selectByValue(key);
                    return;
                }
            }
            select.selectByVisibleText(key);
            return;
        }
        combobox.click();
        waitFor(
                        "the option " + key,
                        () -> driver.findElements(By.cssSelector("[role=option]")).stream()
                                .filter(o -> o.getText().trim().equals(key) || key.equals(o.getAttribute("data-value")))
                                .findFirst())
                .click();
    }

    /** The chosen language's spec key (a select's value, else the combobox's text). */
    String chosenLanguage() {
        WebElement combobox = language();
        if (combobox.getTagName().equalsIgnoreCase("select")) {
            return String.valueOf(combobox.getAttribute("value"));
        }
        return combobox.getText().trim();
    }

    WebElement editor() {
        return field("Code");
    }

    /**
     * The editor's whole text: a plain field's value; CodeMirror's through its documented handle (the
     * wrapper element's {@code CodeMirror} property: it renders only the lines in view); else the text.
     */
    String code() {
        Object text = ((JavascriptExecutor) driver)
                .executeScript(
                        "const e = arguments[0];"
                                + " const cm = e.closest('.CodeMirror');"
                                + " if (cm && cm.CodeMirror) return cm.CodeMirror.getValue();"
                                + " if (e.value) return e.value;"
                                + " return e.textContent;",
                        editor());
        return text == null ? "" : text.toString();
    }

    /**
     * Replaces the editor's text by typing {@code code} with the keyboard, line by line. Each line is typed
     * after any indentation the editor added on Enter has been removed, so the code arrives as written
     * (the editor may close brackets and quotes as they are typed; typing the closing one steps over it).
     */
    void typeCode(String code) {
        WebElement editor = editor();
        editor.click();
        editor.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        String[] lines = code.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                editor.sendKeys(Keys.ENTER);
                // Select back to the line's start and delete whatever indentation the editor added (with
                // nothing selected, Delete at the end of the text deletes nothing).
                editor.sendKeys(Keys.chord(Keys.SHIFT, Keys.HOME), Keys.DELETE);
            }
            if (!lines[i].isEmpty()) {
                editor.sendKeys(lines[i]);
            }
        }
        waitUntil("the editor to hold the typed code", () -> normalise(code()).contains(normalise(lastLine(code))));
    }

    private static String lastLine(String code) {
        String[] lines = code.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String normalise(String text) {
        return text.replace('\u00a0', ' ').replaceAll("\\s+", "");
    }

    /** Clicks Run and waits until the button says Stop or the run already ended (output shown). */
    void run() {
        button("Run").click();
    }

    /** Waits until the run ended: the button is named Run again. */
    void awaitIdle() {
        waitUntil("the button to be named Run again", () -> findButton("Run").isPresent());
    }

    void awaitOutput(String text) {
        waitUntil("the output to contain \"" + text + "\"", () -> output().contains(text), WAIT);
    }

    void awaitOutput(String text, Duration timeout) {
        waitUntil("the output to contain \"" + text + "\"", () -> output().contains(text), timeout);
    }

    void awaitAlert(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        waitUntil(
                "an alert saying \"" + text + "\"",
                () -> alerts().toLowerCase(Locale.ROOT).contains(lower));
    }

    /**
     * Types a line into the terminal (the field labelled Input) and presses Enter: a shown field is clicked
     * and typed into; a terminal's invisible input is given the focus and the keys go to it as a user's
     * would.
     */
    void typeInput(String line) {
        typeInputKeys(line, Keys.ENTER);
    }

    /** Types keys into the terminal (the field labelled Input), as {@link #typeInput} does. */
    void typeInputKeys(CharSequence... keys) {
        WebElement input = waitFor("a field labelled \"Input\"", () -> findNamed(CANDIDATES_FIELD, "Input", false));
        if (input.isDisplayed()) {
            input.click();
            input.sendKeys(keys);
        } else {
            ((JavascriptExecutor) driver).executeScript("arguments[0].focus();", input);
            new Actions(driver).sendKeys(keys).perform();
        }
    }

    void ctrlEnter() {
        new Actions(driver)
                .keyDown(Keys.CONTROL)
                .sendKeys(Keys.ENTER)
                .keyUp(Keys.CONTROL)
                .perform();
    }

    // ---------------------------------------------------------------------------------------------
    // Waiting (Selenium's explicit waits, never a sleep)

    <T> T waitFor(String what, Supplier<Optional<T>> find) {
        return waitFor(what, find, WAIT);
    }

    <T> T waitFor(String what, Supplier<Optional<T>> find, Duration timeout) {
        return new FluentWait<>(driver)
                .withTimeout(timeout)
                .pollingEvery(Duration.ofMillis(50))
                .ignoring(StaleElementReferenceException.class)
                .withMessage(() -> "waiting for " + what + "; the page says: " + excerpt(safePageText()))
                .until(d -> find.get().orElse(null));
    }

    void waitUntil(String what, Supplier<Boolean> condition) {
        waitUntil(what, condition, WAIT);
    }

    void waitUntil(String what, Supplier<Boolean> condition, Duration timeout) {
        waitFor(
                what,
                () -> Boolean.TRUE.equals(condition.get()) ? Optional.of(Boolean.TRUE) : Optional.empty(),
                timeout);
    }

    private String safePageText() {
        try {
            return pageText();
        } catch (RuntimeException e) {
            return "(unreadable: " + e + ")";
        }
    }

    static String excerpt(String text) {
        String flat = text.replaceAll("\\s+", " ").trim();
        return flat.length() <= 600 ? flat : flat.substring(0, 300) + " ... " + flat.substring(flat.length() - 300);
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }
}
