package dev.ranna.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/** The playground in a Spring Boot application: at the prefix's root, with the standalone server's rules. */
class PlaygroundServletTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(ConfigurableApplicationContext context, String path, String... headers)
            throws Exception {
        var builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + TestApplication.port(context) + path));
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return http.send(builder.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePageAndItsFilesAreServedUnderThePrefix() throws Exception {
        try (var context = TestApplication.start(Map.of("ranna.web.pathprefix", "/ranna"))) {
            HttpResponse<String> page = get(context, "/ranna/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("content-type").orElseThrow()).startsWith("text/html");
            assertThat(page.headers().firstValue("content-security-policy").orElseThrow())
                    .contains("default-src 'none'")
                    .contains("script-src 'self';")
                    .doesNotContain("unsafe");
            assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");

            HttpResponse<String> script = get(context, "/ranna/playground/vendor/codemirror/lib/codemirror.js");
            assertThat(script.statusCode()).isEqualTo(200);
            assertThat(script.headers().firstValue("content-type").orElseThrow())
                    .startsWith("text/javascript");
            String etag = script.headers().firstValue("etag").orElseThrow();
            assertThat(get(context, "/ranna/playground/vendor/codemirror/lib/codemirror.js", "If-None-Match", etag)
                            .statusCode())
                    .isEqualTo(304);

            assertThat(get(context, "/ranna").statusCode())
                    .as("redirected to the slash")
                    .isIn(302, 200);
            assertThat(get(context, "/ranna/playground/vendor/codemirror/package.json")
                            .statusCode())
                    .isEqualTo(404);
            assertThat(get(context, "/ranna/playground/%2e%2e/%2e%2e/v1/info").statusCode())
                    .isEqualTo(404);
            assertThat(get(context, "/ranna/v1/spec").statusCode())
                    .as("the API beside it")
                    .isEqualTo(200);
        }
    }

    @Test
    void switchedOffThereIsNoPage() throws Exception {
        try (var context = TestApplication.start(Map.of("ranna.api.playground", "false"))) {
            assertThat(get(context, "/").statusCode()).isEqualTo(404);
            assertThat(get(context, "/playground/playground.js").statusCode()).isEqualTo(404);
            assertThat(get(context, "/v1/spec").statusCode()).isEqualTo(200);
        }
    }
}
