package dev.ranna.netty.internal;

import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.json.ProtocolCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What every connection of one server shares: the engine, the options and policies derived from them,
 * the connection bookkeeping and the metrics. Thread-safe.
 */
public final class ServerContext {

    /** The client address of a WebSocket connection, set when its upgrade is accepted. */
    public static final AttributeKey<String> CLIENT_KEY = AttributeKey.valueOf("ranna.clientKey");

    private final EngineAccess engine;
    private final ServerOptions options;
    private final ProtocolCodec codec = ProtocolCodec.create();
    private final AccessPolicy access;
    private final TrustedProxies proxies;
    private final ConnectionLimiter limiter;
    private final ChannelGroup webSockets = new DefaultChannelGroup("ranna-websockets", GlobalEventExecutor.INSTANCE);
    private final MeterRegistry registry;
    private final @Nullable Supplier<String> scrape;
    private final BuildInfo buildInfo;
    private volatile boolean shuttingDown;

    /**
     * @param scrape the Prometheus text of the registry for {@code /metrics}, or null to answer 404 there
     * @throws IllegalArgumentException if the trusted proxies cannot be parsed
     */
    public ServerContext(
            EngineAccess engine,
            ServerOptions options,
            MeterRegistry registry,
            @Nullable Supplier<String> scrape,
            BuildInfo buildInfo) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.options = Objects.requireNonNull(options, "options");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.scrape = scrape;
        this.buildInfo = Objects.requireNonNull(buildInfo, "buildInfo");
        this.access = new AccessPolicy(options);
        this.proxies = TrustedProxies.parse(options.trustedProxies());
        this.limiter = new ConnectionLimiter(options.maxConnectionsPerClient());
        Gauge.builder("ranna.websocket.connections", limiter, ConnectionLimiter::total)
                .description("Open WebSocket connections")
                .register(registry);
    }

    public EngineAccess engine() {
        return engine;
    }

    public ServerOptions options() {
        return options;
    }

    public ProtocolCodec codec() {
        return codec;
    }

    public AccessPolicy access() {
        return access;
    }

    public TrustedProxies proxies() {
        return proxies;
    }

    public ConnectionLimiter limiter() {
        return limiter;
    }

    /** Open WebSocket channels, closed with 1001 at shutdown. */
    public ChannelGroup webSockets() {
        return webSockets;
    }

    public @Nullable Supplier<String> scrape() {
        return scrape;
    }

    public BuildInfo buildInfo() {
        return buildInfo;
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    /** From now on health checks fail and new WebSocket upgrades are refused. */
    public void beginShutdown() {
        shuttingDown = true;
    }

    /** Counts one answered HTTP request. */
    public void countRequest(String route, int status) {
        Counter.builder("ranna.http.requests")
                .description("HTTP requests answered, WebSocket upgrades included")
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .register(registry)
                .increment();
    }

    /** The client key of a WebSocket channel, or its peer address if the upgrade did not set one. */
    public static String clientKey(Channel channel) {
        String key = channel.attr(CLIENT_KEY).get();
        return key != null ? key : String.valueOf(channel.remoteAddress());
    }
}
