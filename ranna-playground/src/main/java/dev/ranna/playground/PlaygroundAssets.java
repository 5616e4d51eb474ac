package dev.ranna.playground;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The playground's files, by the URL path they are served at, and the headers they are served with.
 *
 * <p>An allow-list: {@code /} is the page, {@code /playground/...} its script, style and the few WebJar
 * files it loads; every other path is unknown ({@link #find} returns null, the server answers 404). No
 * path is ever joined to a directory, so there is nothing to traverse and nothing to list. All files are
 * read once, here, and kept in memory (about a megabyte); each carries a strong ETag from its content so
 * browsers revalidate cheaply ({@code Cache-Control: no-cache} plus {@code If-None-Match}).
 *
 * <p>Thread-safe and immutable once built.
 */
public final class PlaygroundAssets {
    /** The URL prefix of everything but the page. */
    public static final String PREFIX = "/playground/";

    private static final String BASE = "dev/ranna/playground/static/";

    /** CodeMirror modes loaded by the page, for the spec's {@code language} names (see playground.js). */
    private static final List<String> CODEMIRROR_FILES = List.of(
            "lib/codemirror.js",
            "lib/codemirror.css",
            "addon/edit/matchbrackets.js",
            "addon/mode/simple.js",
            "mode/meta.js",
            "mode/python/python.js",
            "mode/shell/shell.js",
            "mode/javascript/javascript.js",
            "mode/clike/clike.js",
            "mode/perl/perl.js",
            "mode/rust/rust.js",
            "mode/go/go.js",
            "mode/ruby/ruby.js",
            "mode/xml/xml.js",
            "mode/css/css.js",
            "mode/htmlmixed/htmlmixed.js",
            "mode/php/php.js",
            "mode/lua/lua.js",
            "mode/tcl/tcl.js");

    private static final List<String> XTERM_FILES = List.of("lib/xterm.js", "css/xterm.css");
    private static final List<String> XTERM_FIT_FILES = List.of("lib/xterm-addon-fit.js");
    private static final List<String> OWN_FILES = List.of("playground.js", "playground.css", "favicon.svg");

    /** A Host header as it may appear in a CSP source: host name or address, optional port. */
    private static final Pattern SAFE_HOST =
            Pattern.compile("[A-Za-z0-9.\\-]{1,253}(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]{2,45}](:[0-9]{1,5})?");

    /** One file: its body, content type and ETag. */
    public record Asset(byte[] body, String contentType, String etag) {
        /** Whether an {@code If-None-Match} header value names this asset's ETag. */
        public boolean matches(@Nullable String ifNoneMatch) {
            if (ifNoneMatch == null) {
                return false;
            }
            for (String candidate : ifNoneMatch.split(",")) {
                String tag = candidate.trim();
                if (tag.startsWith("W/")) {
                    tag = tag.substring(2);
                }
                if (tag.equals(etag) || tag.equals("*")) {
                    return true;
                }
            }
            return false;
        }
    }

    private final Map<String, Asset> assets;

    private PlaygroundAssets(Map<String, Asset> assets) {
        this.assets = Collections.unmodifiableMap(assets);
    }

    /**
     * Reads every allow-listed file from the class path.
     *
     * @throws IllegalStateException if one is missing (a build that lost a WebJar)
     */
    public static PlaygroundAssets load() {
        ClassLoader loader = PlaygroundAssets.class.getClassLoader();
        Properties versions = new Properties();
        try (InputStream in = loader.getResourceAsStream("dev/ranna/playground/versions.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/ranna/playground/versions.properties is missing");
            }
            versions.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var assets = new LinkedHashMap<String, Asset>();
        assets.put("/", read(loader, BASE + "index.html"));
        for (String file : OWN_FILES) {
            assets.put(PREFIX + file, read(loader, BASE + file));
        }
        webjar(loader, assets, "codemirror", versions, CODEMIRROR_FILES);
        webjar(loader, assets, "xterm", versions, XTERM_FILES);
        webjar(loader, assets, "xterm-addon-fit", versions, XTERM_FIT_FILES);
        return new PlaygroundAssets(assets);
    }

    private static void webjar(
            ClassLoader loader, Map<String, Asset> assets, String name, Properties versions, List<String> files) {
        String version = versions.getProperty(name);
        if (version == null || version.isBlank()) {
            throw new IllegalStateException("no version for WebJar " + name);
        }
        for (String file : files) {
            assets.put(
                    PREFIX + "vendor/" + name + "/" + file,
                    read(loader, "META-INF/resources/webjars/" + name + "/" + version + "/" + file));
        }
    }

    private static Asset read(ClassLoader loader, String resource) {
        byte[] body;
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("playground resource missing from the class path: " + resource);
            }
            body = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Asset(body, contentType(resource), etag(body));
    }

    static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        } else if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        } else if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        } else if (name.endsWith(".svg")) {
            return "image/svg+xml";
        }
        throw new IllegalArgumentException("no content type for " + name);
    }

    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The file served at a URL path (the path alone, decoded by nobody: {@code %2e%2e} stays as it is and
     * matches nothing), or null if the path is not on the list.
     */
    public @Nullable Asset find(String path) {
        return assets.get(path);
    }

    /** Whether a path is the playground's: {@code /} or under {@link #PREFIX}. */
    public static boolean owns(String path) {
        return path.equals("/") || path.startsWith(PREFIX);
    }

    /** The paths served, for tests. */
    public List<String> paths() {
        return List.copyOf(assets.keySet());
    }

    /**
     * The headers every playground answer (404s under the prefix included) carries: a strict
     * Content-Security-Policy whose {@code connect-src} is this server ({@code 'self'}, plus its own
     * {@code ws:}/{@code wss:} origin spelled out from the Host header for browsers that do not count
     * WebSocket URLs as {@code 'self'}), no MIME sniffing, no referrer, no framing.
     *
     * @param host the request's Host header, or null; ignored unless it looks like a host name or address
     */
    public static Map<String, String> securityHeaders(@Nullable String host) {
        String connect = "'self'";
        if (host != null && SAFE_HOST.matcher(host).matches()) {
            connect += " ws://" + host + " wss://" + host;
        }
        var headers = new LinkedHashMap<String, String>();
        headers.put(
                "Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src " + connect
                        + "; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none';"
                        + " frame-ancestors 'none'");
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("Referrer-Policy", "no-referrer");
        headers.put("X-Frame-Options", "DENY");
        headers.put("Cache-Control", "no-cache");
        return Collections.unmodifiableMap(headers);
    }

    /** The UTF-8 text of an asset, for tests. */
    public static String text(Asset asset) {
        return new String(asset.body(), StandardCharsets.UTF_8);
    }
}
