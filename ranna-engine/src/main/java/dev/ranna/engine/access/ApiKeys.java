package dev.ranna.engine.access;

import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigType;
import java.time.Duration;
import java.util.List;

/**
 * The API's configuration keys that every transport applies the same way (the Netty server and the Spring
 * Boot starter): access tokens, CORS and WebSocket origins, message and body sizes, keep-alive pings, write
 * timeouts and per-client connection caps. ranna's keys with ranna's meaning and defaults, plus ours in the
 * same style. Listening, logging and process-wide caps are the standalone server's own keys.
 *
 * <p>{@link #DANGEROUSLY_EXPOSE_UNISOLATED} is read where the sandbox is chosen: when nothing isolating can
 * run, a transport may fall back to unisolated programs only on loopback and for loopback origins, unless it
 * is set.
 */
public final class ApiKeys {
    private ApiKeys() {}

    private static final ConfigType<List<String>> PROXIES = ConfigType.of("addresses or CIDR ranges", text -> {
        List<String> entries = ConfigType.LIST.parse(text);
        TrustedProxies.parse(entries);
        return entries;
    });

    public static final ConfigKey<List<String>> TRUSTED_PROXIES = ConfigKey.builder("api.trustedproxies", PROXIES)
            .description("addresses or CIDR ranges whose X-Forwarded-For is believed (comma separated)")
            .ranna()
            .build();
    public static final ConfigKey<List<String>> TOKENS = ConfigKey.builder("api.tokens", ConfigType.LIST)
            .description("access tokens (comma separated); when set, REST needs 'Authorization: Bearer <token>',"
                    + " WebSocket that header or ?token=")
            .secret()
            .build();
    public static final ConfigKey<List<String>> CORS_ORIGINS = ConfigKey.builder(
                    "api.cors.allowedorigins", ConfigType.LIST)
            .defaultValue("*")
            .description("origins answered by CORS (comma separated); * allows any")
            .build();
    public static final ConfigKey<List<String>> WS_ORIGINS = ConfigKey.builder("api.ws.allowedorigins", ConfigType.LIST)
            .defaultHelp("any")
            .description("origins whose WebSocket upgrades are accepted (comma separated); empty: any")
            .build();
    public static final ConfigKey<Integer> WS_MAX_MESSAGE = ConfigKey.builder(
                    "api.ws.maxmessagesize", ConfigType.INT_SIZE)
            .defaultValue("2M")
            .description("largest WebSocket message; larger closes with 1009 (size)")
            .build();
    public static final ConfigKey<Integer> WS_MAX_CONNECTIONS = ConfigKey.builder(
                    "api.ws.maxconnectionsperclient", ConfigType.nonNegativeInteger())
            .defaultValue("32")
            .description("open WebSocket connections per client address; 0: unlimited")
            .build();
    public static final ConfigKey<Duration> WS_PING_SECONDS = ConfigKey.builder(
                    "api.ws.pingintervalseconds", ConfigType.SECONDS)
            .defaultValue("30")
            .description("seconds of client silence before the server pings")
            .build();
    public static final ConfigKey<Duration> WS_PONG_SECONDS = ConfigKey.builder(
                    "api.ws.pongtimeoutseconds", ConfigType.SECONDS)
            .defaultValue("30")
            .description("seconds without any answer to a ping before closing")
            .build();
    public static final ConfigKey<Integer> IPV6_PREFIX = ConfigKey.builder(
                    "api.ipv6prefixlength", ConfigType.integer(1, 128))
            .defaultValue("64")
            .description("IPv6 clients are keyed by this prefix for every per-client limit (one host usually holds a"
                    + " whole /64); 128: each address alone")
            .build();
    public static final ConfigKey<Duration> WRITE_TIMEOUT_SECONDS = ConfigKey.builder(
                    "api.writetimeoutseconds", ConfigType.SECONDS)
            .defaultValue("30")
            .description("seconds an answer or event may wait to reach a client that does not read before its"
                    + " connection is closed (and its runs killed)")
            .build();
    public static final ConfigKey<Integer> MAX_BODY = ConfigKey.builder("api.maxbodysize", ConfigType.INT_SIZE)
            .defaultValue("2M")
            .description("largest REST request body (size)")
            .build();
    public static final ConfigKey<Boolean> DANGEROUSLY_EXPOSE_UNISOLATED = ConfigKey.builder(
                    "api.dangerouslyexposeunisolated", ConfigType.BOOLEAN)
            .defaultValue("false")
            .description("DANGER: allow a non-loopback address and foreign WebSocket origins while programs run with"
                    + " no isolation (anyone who can connect can run any command as this server's user)")
            .build();

    /** Every API key, in {@code --help} order. */
    public static final ConfigKey<Boolean> PLAYGROUND = ConfigKey.builder("api.playground", ConfigType.BOOLEAN)
            .defaultValue("true")
            .description("serve the browser playground at / (the page holds no secret; under api.tokens every API call"
                    + " it makes needs a token); false answers 404 there")
            .build();

    public static final List<ConfigKey<?>> ALL = List.of(
            TRUSTED_PROXIES,
            TOKENS,
            CORS_ORIGINS,
            WS_ORIGINS,
            WS_MAX_MESSAGE,
            WS_MAX_CONNECTIONS,
            WS_PING_SECONDS,
            WS_PONG_SECONDS,
            IPV6_PREFIX,
            WRITE_TIMEOUT_SECONDS,
            MAX_BODY,
            DANGEROUSLY_EXPOSE_UNISOLATED,
            PLAYGROUND);
}
