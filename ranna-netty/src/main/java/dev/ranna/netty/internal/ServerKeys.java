package dev.ranna.netty.internal;

import dev.ranna.engine.access.ApiKeys;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigType;
import dev.ranna.netty.ServerOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The standalone server's own configuration keys (listening, access, connections, logging): ranna's keys
 * with ranna's meaning and defaults, plus ours in the same style. The engine's keys are {@link
 * dev.ranna.engine.EngineKeys}, the sandboxes' their providers' {@code configKeys()}; the API's access and
 * connection keys that every transport shares are {@link ApiKeys}, listed here too.
 */
public final class ServerKeys {
    private ServerKeys() {}

    /**
     * A listen address.
     *
     * @param host the host part ({@code 0.0.0.0} when empty)
     * @param port the port, 0..65535
     */
    public record BindAddress(String host, int port) {}

    /**
     * {@code :8080}, {@code 127.0.0.1:8080}, {@code [::1]:8080}, {@code localhost:8080} or just {@code 8080}.
     */
    static final ConfigType<BindAddress> BIND_ADDRESS_TYPE = ConfigType.of("host:port", text -> {
        String value = text.trim();
        if (value.matches("\\d+")) {
            return new BindAddress("0.0.0.0", port(value));
        }
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected host:port such as :8080 or 127.0.0.1:8080");
        }
        String host = value.substring(0, colon).trim();
        String port = value.substring(colon + 1).trim();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("put an IPv6 address in brackets, e.g. [::1]:8080");
        }
        return new BindAddress(host.isEmpty() ? "0.0.0.0" : host, port(port));
    });

    private static int port(String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("expected a port 0..65535 in host:port");
    }

    private static final ConfigType<Integer> MAX_CONNECTIONS_TYPE = ConfigType.of("auto or a whole number", text -> {
        if (text.trim().equalsIgnoreCase("auto")) {
            return ServerOptions.defaultMaxConnections();
        }
        return ConfigType.nonNegativeInteger().parse(text);
    });

    private static final ConfigType<String> LOG_LEVEL_TYPE;

    static {
        var levels = new LinkedHashMap<String, String>();
        levels.put("trace", "trace");
        levels.put("debug", "debug");
        levels.put("info", "info");
        levels.put("warn", "warn");
        levels.put("warning", "warn");
        levels.put("error", "error");
        levels.put("fatal", "error");
        levels.put("panic", "error");
        LOG_LEVEL_TYPE = ConfigType.choice(levels);
    }

    public static final ConfigKey<BindAddress> BIND_ADDRESS = ConfigKey.builder("api.bindaddress", BIND_ADDRESS_TYPE)
            .defaultValue(":8080")
            .description("listen address host:port; an empty host means every interface")
            .ranna()
            .build();
    public static final ConfigKey<List<String>> TRUSTED_PROXIES = ApiKeys.TRUSTED_PROXIES;
    public static final ConfigKey<String> LOG_LEVEL = ConfigKey.builder("log.level", LOG_LEVEL_TYPE)
            .defaultValue("info")
            .description("log level: trace, debug, info, warn (or warning), error")
            .ranna()
            .build();
    public static final ConfigKey<Boolean> DEBUG = ConfigKey.builder("debug", ConfigType.BOOLEAN)
            .defaultValue("false")
            .description("shorthand for log.level=debug")
            .ranna()
            .build();
    public static final ConfigKey<List<String>> TOKENS = ApiKeys.TOKENS;
    public static final ConfigKey<List<String>> CORS_ORIGINS = ApiKeys.CORS_ORIGINS;
    public static final ConfigKey<List<String>> WS_ORIGINS = ApiKeys.WS_ORIGINS;
    public static final ConfigKey<Integer> WS_MAX_MESSAGE = ApiKeys.WS_MAX_MESSAGE;
    public static final ConfigKey<Integer> WS_MAX_CONNECTIONS = ApiKeys.WS_MAX_CONNECTIONS;
    public static final ConfigKey<Duration> WS_PING_SECONDS = ApiKeys.WS_PING_SECONDS;
    public static final ConfigKey<Duration> WS_PONG_SECONDS = ApiKeys.WS_PONG_SECONDS;
    public static final ConfigKey<Duration> HANDSHAKE_SECONDS = ConfigKey.builder(
                    "api.handshaketimeoutseconds", ConfigType.SECONDS)
            .defaultValue("10")
            .description("seconds from connect to a complete request or WebSocket handshake")
            .build();
    public static final ConfigKey<Duration> IDLE_SECONDS = ConfigKey.builder(
                    "api.idletimeoutseconds", ConfigType.SECONDS)
            .defaultValue("15")
            .description("seconds an idle HTTP keep-alive connection stays open (short: each costs a descriptor;"
                    + " WebSockets are pinged instead)")
            .build();
    public static final ConfigKey<Integer> MAX_CONNECTIONS = ConfigKey.builder(
                    "api.maxconnections", MAX_CONNECTIONS_TYPE)
            .defaultValue("auto")
            .description("open connections server-wide; more are answered 503 and closed at once; auto: 3/4 of the"
                    + " open-file limit and at least 512 below it, so runs keep descriptors; 0: unlimited")
            .build();
    public static final ConfigKey<Integer> MAX_CONNECTIONS_PER_CLIENT = ConfigKey.builder(
                    "api.maxconnectionsperclient", ConfigType.nonNegativeInteger())
            .defaultValue("64")
            .description("open connections (HTTP and WebSocket) per client address, so one client cannot take every"
                    + " descriptor; not applied to trusted proxies; 0: unlimited")
            .build();
    public static final ConfigKey<Integer> IPV6_PREFIX = ApiKeys.IPV6_PREFIX;
    public static final ConfigKey<Duration> WRITE_TIMEOUT_SECONDS = ApiKeys.WRITE_TIMEOUT_SECONDS;
    public static final ConfigKey<Integer> MAX_BODY = ApiKeys.MAX_BODY;
    public static final ConfigKey<Boolean> DANGEROUSLY_EXPOSE_UNISOLATED = ApiKeys.DANGEROUSLY_EXPOSE_UNISOLATED;
    public static final ConfigKey<Boolean> PLAYGROUND = ApiKeys.PLAYGROUND;

    /** Every server key, in {@code --help} order. */
    public static final List<ConfigKey<?>> ALL = List.of(
            BIND_ADDRESS,
            TRUSTED_PROXIES,
            LOG_LEVEL,
            DEBUG,
            TOKENS,
            CORS_ORIGINS,
            WS_ORIGINS,
            WS_MAX_MESSAGE,
            WS_MAX_CONNECTIONS,
            WS_PING_SECONDS,
            WS_PONG_SECONDS,
            HANDSHAKE_SECONDS,
            IDLE_SECONDS,
            MAX_CONNECTIONS,
            MAX_CONNECTIONS_PER_CLIENT,
            IPV6_PREFIX,
            WRITE_TIMEOUT_SECONDS,
            MAX_BODY,
            DANGEROUSLY_EXPOSE_UNISOLATED,
            PLAYGROUND);
}
