package dev.ranna.engine.access;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Who may talk to the server: access tokens, CORS origins and the WebSocket {@code Origin} rules.
 *
 * <p>Transport-neutral: the Netty server and the Spring Boot starter apply the same policy. Immutable and
 * thread-safe.
 */
public final class AccessPolicy {
    private final List<byte[]> tokens;
    private final boolean anyCorsOrigin;
    private final List<String> corsOrigins;
    private final List<String> webSocketOrigins;
    private final boolean loopbackOriginsOnly;

    /**
     * @param tokens the access tokens ({@link ApiKeys#TOKENS}); empty: no token needed
     * @param corsAllowedOrigins origins answered by CORS ({@link ApiKeys#CORS_ORIGINS}); {@code *} allows any
     * @param webSocketAllowedOrigins origins whose WebSocket upgrades are accepted ({@link ApiKeys#WS_ORIGINS});
     *     empty or {@code *}: any
     * @param loopbackOriginsOnly whether only loopback origins are served at all (programs run unisolated)
     */
    public AccessPolicy(
            Collection<String> tokens,
            List<String> corsAllowedOrigins,
            List<String> webSocketAllowedOrigins,
            boolean loopbackOriginsOnly) {
        this.tokens = new ArrayList<>();
        for (String token : tokens) {
            this.tokens.add(token.getBytes(StandardCharsets.UTF_8));
        }
        this.anyCorsOrigin = corsAllowedOrigins.contains("*");
        this.corsOrigins = normalizeAll(corsAllowedOrigins);
        this.webSocketOrigins = normalizeAll(webSocketAllowedOrigins);
        this.loopbackOriginsOnly = loopbackOriginsOnly;
    }

    /** Whether a token is needed at all. */
    public boolean authenticationRequired() {
        return !tokens.isEmpty();
    }

    /**
     * Whether a request carries a valid token: {@code Authorization: Bearer <token>}, or for WebSocket
     * upgrades also {@code queryToken}. Always true when no tokens are configured.
     */
    public boolean authorized(@Nullable String authorization, @Nullable String queryToken) {
        if (tokens.isEmpty()) {
            return true;
        }
        if (authorization != null) {
            String value = authorization.trim();
            if (value.regionMatches(true, 0, "Bearer ", 0, 7)
                    && matches(value.substring(7).trim())) {
                return true;
            }
        }
        return queryToken != null && matches(queryToken);
    }

    private boolean matches(String candidate) {
        byte[] bytes = candidate.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        // Compare against every token in constant time per token, so timing tells nothing about which.
        for (byte[] token : tokens) {
            match |= MessageDigest.isEqual(token, bytes);
        }
        return match;
    }

    /**
     * The {@code Access-Control-Allow-Origin} value for a request from {@code origin}, or null to send
     * none: {@code *} when any origin is allowed, else the origin itself when it is listed.
     */
    public @Nullable String corsAllowOrigin(@Nullable String origin) {
        if (loopbackOriginsOnly) {
            return origin != null && isLoopbackOrigin(origin) ? origin : null;
        }
        if (anyCorsOrigin) {
            return "*";
        }
        if (origin == null) {
            return null;
        }
        return corsOrigins.contains(normalize(origin)) ? origin : null;
    }

    /** Whether the CORS answer depends on the request's origin (so responses need {@code Vary: Origin}). */
    public boolean corsVaries() {
        return loopbackOriginsOnly || !anyCorsOrigin;
    }

    /**
     * Whether a REST request with this {@code Origin} header is served at all. Only in loopback-only mode
     * is the answer ever no: a foreign page must not run code here even with a "simple" request, which
     * browsers send without a preflight.
     */
    public boolean requestOriginAllowed(@Nullable String origin) {
        return !loopbackOriginsOnly || origin == null || origin.isEmpty() || isLoopbackOrigin(origin);
    }

    /**
     * Whether a WebSocket upgrade with this {@code Origin} header is accepted. Browsers always send one,
     * and do not apply CORS to WebSockets, so this is the only guard against a foreign page driving a
     * local server. Non-browser clients send none and are accepted.
     */
    public boolean webSocketOriginAllowed(@Nullable String origin) {
        if (origin == null || origin.isEmpty()) {
            return true;
        }
        if (loopbackOriginsOnly && !isLoopbackOrigin(origin)) {
            return false;
        }
        if (webSocketOrigins.isEmpty() || webSocketOrigins.contains("*")) {
            return true;
        }
        return webSocketOrigins.contains(normalize(origin));
    }

    /** Whether {@code origin} (e.g. {@code http://localhost:3000}) names this machine's loopback interface. */
    public static boolean isLoopbackOrigin(String origin) {
        String host;
        try {
            host = new URI(origin.trim()).getHost();
        } catch (URISyntaxException e) {
            return false;
        }
        if (host == null) {
            return false;
        }
        return IpLiterals.isLoopback(host);
    }

    private static List<String> normalizeAll(List<String> origins) {
        var out = new ArrayList<String>();
        for (String origin : origins) {
            if (!origin.isBlank()) {
                out.add(normalize(origin));
            }
        }
        return List.copyOf(out);
    }

    private static String normalize(String origin) {
        String value = origin.trim().toLowerCase(Locale.ROOT);
        while (value.endsWith("/")) {
            value = value.substring(0, value.length() - 1);
        }
        return value;
    }
}
