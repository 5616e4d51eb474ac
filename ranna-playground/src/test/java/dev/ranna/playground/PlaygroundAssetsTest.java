package dev.ranna.playground;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PlaygroundAssetsTest {
    private final PlaygroundAssets assets = PlaygroundAssets.load();

    @Test
    void everyFileThePageReferencesIsOnTheList() {
        String page = PlaygroundAssets.text(assets.find("/"));
        Matcher reference = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(page);
        int count = 0;
        while (reference.find()) {
            assertThat(assets.find("/" + reference.group(1)))
                    .as(reference.group(1))
                    .isNotNull();
            count++;
        }
        assertThat(count).isGreaterThan(10);
    }

    @Test
    void ourOwnCodeNeverBuildsHtmlFromTextNorEvaluatesIt() {
        // The CSP forbids eval and inline script; program output and shared links are only ever text.
        String script = PlaygroundAssets.text(assets.find("/playground/playground.js"));
        assertThat(script)
                .doesNotContain("innerHTML")
                .doesNotContain("outerHTML")
                .doesNotContain("insertAdjacentHTML")
                .doesNotContain("document.write")
                .doesNotContain("eval(")
                .doesNotContain("new Function");
        String page = PlaygroundAssets.text(assets.find("/"));
        assertThat(page).doesNotContain("<style").doesNotContain(" style=").doesNotContainPattern("\\son[a-z]+=");
        assertThat(page).doesNotContainPattern("<script(?![^>]*\\bsrc=)");
    }

    @Test
    void onlyTheRootAndThePrefixAreOurs() {
        assertThat(PlaygroundAssets.owns("/")).isTrue();
        assertThat(PlaygroundAssets.owns("/playground/x")).isTrue();
        assertThat(PlaygroundAssets.owns("/v1/spec")).isFalse();
        assertThat(PlaygroundAssets.owns("/playground")).isFalse();
        assertThat(assets.paths()).allMatch(PlaygroundAssets::owns);
    }

    @Test
    void theHostGoesIntoThePolicyOnlyWhenItIsAHost() {
        assertThat(PlaygroundAssets.securityHeaders("example.org:8080").get("Content-Security-Policy"))
                .contains("connect-src 'self' ws://example.org:8080 wss://example.org:8080;");
        assertThat(PlaygroundAssets.securityHeaders("[::1]:8080").get("Content-Security-Policy"))
                .contains("ws://[::1]:8080");
        assertThat(PlaygroundAssets.securityHeaders("a; script-src *").get("Content-Security-Policy"))
                .contains("connect-src 'self';")
                .doesNotContain("script-src *");
        assertThat(PlaygroundAssets.securityHeaders(null).get("Content-Security-Policy"))
                .contains("connect-src 'self';");
    }

    @Test
    void anETagMatchesItselfAndAList() {
        PlaygroundAssets.Asset page = assets.find("/");
        assertThat(page.matches(page.etag())).isTrue();
        assertThat(page.matches("\"x\", W/" + page.etag())).isTrue();
        assertThat(page.matches("\"x\"")).isFalse();
        assertThat(page.matches(null)).isFalse();
    }
}
