package dev.ranna.browser;

import dev.ranna.sandbox.tck.Infrastructure;
import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.json.Json;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's headless Chromium driven through Debian's chromedriver, both named by path so Selenium Manager
 * never looks for (or downloads) a driver or a browser. Keeps the browser console and every request the
 * page made (from the performance log, which carries the DevTools Network events) for the tests to check.
 */
final class Chromium implements AutoCloseable {
    static final Path BINARY = Path.of(System.getProperty("ranna.browser.chromium", "/usr/bin/chromium"));
    static final Path DRIVER = Path.of(System.getProperty("ranna.browser.chromedriver", "/usr/bin/chromedriver"));

    private static final Json JSON = new Json();

    final ChromeDriver driver;
    private final List<LogEntry> console = new ArrayList<>();
    private final List<String> requests = new ArrayList<>();

    private Chromium(ChromeDriver driver) {
        this.driver = driver;
    }

    /** Starts a fresh browser (a new, empty profile); skips or, under CI, fails when Chromium is missing. */
    static Chromium start() {
        Infrastructure.require(
                Files.isExecutable(BINARY) && Files.isExecutable(DRIVER),
                "the browser tests need Debian's chromium and chromium-driver (" + BINARY + ", " + DRIVER
                        + "): apt-get install chromium chromium-driver");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER.toString()))
                .usingAnyFreePort()
                .withSilent(true)
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        options.addArguments(
                "--headless=new",
                // Root (CI) cannot use Chromium's own sandbox; the page is ours and local.
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,900",
                "--no-first-run",
                "--no-default-browser-check",
                // Nothing of Chromium's own phoning home may be counted as the page's requests.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        options.setExperimentalOption("perfLoggingPrefs", Map.of("enableNetwork", true, "enablePage", false));
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return new Chromium(driver);
    }

    /** Everything the console said since the browser started (reading the log drains it; this keeps it). */
    synchronized List<LogEntry> console() {
        console.addAll(driver.manage().logs().get(LogType.BROWSER).getAll());
        return List.copyOf(console);
    }

    /** The console's SEVERE entries since the last {@link #clearLogs()}. */
    List<String> consoleErrors() {
        return console().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .toList();
    }

    /** Every URL the browser requested (documents, scripts, styles, fonts, fetches, WebSockets). */
    synchronized List<String> requests() {
        for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE).getAll()) {
            Map<String, Object> event =
                    asMap(asMap(JSON.toType(entry.getMessage(), Map.class)).get("message"));
            Object method = event.get("method");
            Map<String, Object> params = asMap(event.get("params"));
            if ("Network.requestWillBeSent".equals(method)) {
                Object url = asMap(params.get("request")).get("url");
                if (url != null) {
                    requests.add(url.toString());
                }
            } else if ("Network.webSocketCreated".equals(method) && params.get("url") != null) {
                requests.add(params.get("url").toString());
            }
        }
        return List.copyOf(requests);
    }

    /** The requests that went anywhere but {@code origin} (data:, blob: and about: URLs are not requests out). */
    List<String> requestsOutside(URI origin) {
        return requests().stream()
                .filter(url -> !url.startsWith("data:") && !url.startsWith("blob:") && !url.startsWith("about:"))
                .filter(url -> {
                    URI uri = URI.create(url.replace(" ", "%20"));
                    return !(origin.getHost().equals(uri.getHost()) && origin.getPort() == uri.getPort());
                })
                .toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    synchronized void clearLogs() {
        console();
        requests();
        console.clear();
        requests.clear();
    }

    @Override
    public void close() {
        driver.quit();
    }
}
