package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The playground's serving rules on a real server and a real port: what is served, with which type and
 * headers, and what is not (traversal, files of the WebJars that are not on the list, the switch off).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlaygroundServingTest {
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The server with the default options, shared by the tests that need nothing else. */
    private RannaServer defaults;
    /** The server the current test talks to. */
    private RannaServer server;

    private @Nullable RannaServer own;

    @BeforeAll
    void startDefaults() {
        defaults = RannaServer.builder()
                .engine(new FakeEngine())
                .host("127.0.0.1")
                .port(0)
                .options(ServerOptions.DEFAULTS.toBuilder()
                        .shutdownTimeout(Duration.ofMillis(200))
                        .build())
                .build()
                .start();
    }

    @AfterAll
    void stopDefaults() {
        defaults.close();
    }

    private RannaServer start(ServerOptions options) {
        if (options == ServerOptions.DEFAULTS) {
            server = defaults;
            return server;
        }
        own = RannaServer.builder()
                .engine(new FakeEngine())
                .host("127.0.0.1")
                .port(0)
                // The client's idle keep-alive connection would hold a close for the whole default timeout.
                .options(options.toBuilder()
                        .shutdownTimeout(Duration.ofMillis(200))
                        .build())
                .build()
                .start();
        server = own;
        return server;
    }

    @AfterEach
    void stop() {
        if (own != null) {
            own.close();
            own = null;
        }
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        var builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return http.send(builder.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends the request line exactly as written (no client normalises the path) and returns the status line. */
    private String rawStatusLine(String target) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return answer.substring(0, answer.indexOf("\r\n"));
        }
    }

    @Test
    void thePageIsServedAtTheRootWithAStrictPolicy() throws Exception {
        start(ServerOptions.DEFAULTS);
        HttpResponse<String> page = get("/");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<select id=\"language\"").contains("playground/playground.js");
        String csp = page.headers().firstValue("content-security-policy").orElseThrow();
        assertThat(csp)
                .contains("default-src 'none'")
                .contains("script-src 'self';")
                .contains("style-src 'self';")
                .contains("connect-src 'self' ws://127.0.0.1:" + server.port() + " wss://127.0.0.1:" + server.port())
                .contains("frame-ancestors 'none'")
                .contains("base-uri 'none'")
                .contains("form-action 'none'")
                .doesNotContain("unsafe-inline")
                .doesNotContain("unsafe-eval");
        assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(page.headers().firstValue("referrer-policy")).hasValue("no-referrer");
        // No inline script or style anywhere in the page: the policy would block it.
        assertThat(page.body())
                .doesNotContainPattern("<script(?![^>]*\\bsrc=)")
                .doesNotContain("<style")
                .doesNotContain(" style=");
    }

    @Test
    void everyScriptAndStylesheetThePageLoadsIsServedWithItsType() throws Exception {
        start(ServerOptions.DEFAULTS);
        String page = get("/").body();
        var references = java.util.regex.Pattern.compile("(?:src|href)=\"(playground/[^\"]+)\"")
                .matcher(page);
        int count = 0;
        while (references.find()) {
            String path = "/" + references.group(1);
            HttpResponse<String> asset = get(path);
            assertThat(asset.statusCode()).as(path).isEqualTo(200);
            String expected = path.endsWith(".js")
                    ? "text/javascript; charset=utf-8"
                    : path.endsWith(".css") ? "text/css; charset=utf-8" : "image/svg+xml";
            assertThat(asset.headers().firstValue("content-type")).as(path).hasValue(expected);
            assertThat(asset.headers().firstValue("content-security-policy"))
                    .as(path)
                    .isPresent();
            assertThat(asset.headers().firstValue("x-content-type-options"))
                    .as(path)
                    .hasValue("nosniff");
            assertThat(asset.headers().firstValue("etag")).as(path).isPresent();
            count++;
        }
        assertThat(count).as("scripts and stylesheets in the page").isGreaterThan(10);
    }

    @Test
    void anUnchangedFileIsRevalidatedWithItsETag() throws Exception {
        start(ServerOptions.DEFAULTS);
        HttpResponse<String> first = get("/playground/playground.js");
        String etag = first.headers().firstValue("etag").orElseThrow();
        assertThat(first.headers().firstValue("cache-control")).hasValue("no-cache");

        HttpResponse<String> again = get("/playground/playground.js", "If-None-Match", etag);

        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(get("/playground/playground.js", "If-None-Match", "\"other\"")
                        .statusCode())
                .isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/playground/../v1/info",
                "/playground/../../../../etc/passwd",
                "/playground/%2e%2e/%2e%2e/etc/passwd",
                "/playground/..%2f..%2fetc%2fpasswd",
                "/playground//etc/passwd",
                "/playground/vendor/codemirror/",
                "/playground/vendor/codemirror/package.json",
                "/playground/vendor/xterm/lib/xterm.js.map",
                "/playground/",
                "/playground",
                "/index.html",
                "/META-INF/resources/webjars/xterm/4.9.0/lib/xterm.js",
                "/playground/dev/ranna/playground/PlaygroundAssets.class"
            })
    void onlyListedFilesAreServed(String target) throws Exception {
        start(ServerOptions.DEFAULTS);

        assertThat(rawStatusLine(target)).as(target).isEqualTo("HTTP/1.1 404 Not Found");
    }

    @Test
    void writingIsRefused() throws Exception {
        start(ServerOptions.DEFAULTS);
        HttpResponse<String> post = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/"))
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    }

    @Test
    void switchedOffThePlaygroundIsNotThere() throws Exception {
        start(ServerOptions.builder().playground(false).build());

        assertThat(get("/").statusCode()).isEqualTo(404);
        assertThat(get("/playground/playground.js").statusCode()).isEqualTo(404);
        assertThat(get("/v1/spec").statusCode()).as("the API is unaffected").isEqualTo(200);
    }

    @Test
    void underTokensThePageLoadsButTheApiStillNeedsOne() throws Exception {
        start(ServerOptions.builder().tokens(Set.of("s3cret")).build());

        assertThat(get("/").statusCode()).isEqualTo(200);
        assertThat(get("/playground/playground.js").statusCode()).isEqualTo(200);
        assertThat(get("/v1/spec").statusCode()).isEqualTo(401);
        assertThat(get("/v1/spec", "Authorization", "Bearer s3cret").statusCode())
                .isEqualTo(200);
    }

    @Test
    void aHostHeaderThatIsNotAHostNeverReachesThePolicy() throws Exception {
        start(ServerOptions.DEFAULTS);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream()
                    .write("GET / HTTP/1.1\r\nHost: evil.example; script-src *\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            String csp = answer.lines()
                    .filter(line -> line.toLowerCase(java.util.Locale.ROOT).startsWith("content-security-policy:"))
                    .findFirst()
                    .orElseThrow();
            assertThat(csp)
                    .contains("connect-src 'self';")
                    .doesNotContain("evil")
                    .doesNotContain("script-src *");
        }
    }
}
