package dev.ranna.netty.internal;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.access.AccessPolicy;
import dev.ranna.engine.access.ConnectionLimiter;
import dev.ranna.engine.access.TrustedProxies;
import dev.ranna.netty.ServerOptions;
import dev.ranna.playground.PlaygroundAssets;
import dev.ranna.protocol.json.RestRequestDecoder;
import dev.ranna.protocol.json.RestResponseEncoder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every connection of one server shares: the engine, the options and policies derived from them,
 * the connection bookkeeping and the metrics. Thread-safe.
 */
public final class ServerContext {
    private static final Logger log = LoggerFactory.getLogger(ServerContext.class);

    /** The client address of a WebSocket connection, set when its upgrade is accepted. */
    public static final AttributeKey<String> CLIENT_KEY = AttributeKey.valueOf("ranna.clientKey");

    private final RannaEngine engine;
    private final ServerOptions options;
    private final RestRequestDecoder restRequests = RestRequestDecoder.create();
    private final RestResponseEncoder restResponses = RestResponseEncoder.create();
    private final AccessPolicy access;
    private final TrustedProxies proxies;
    private final ConnectionLimiter limiter;
    private final ConnectionLimiter addressLimiter;
    private final AtomicInteger connections = new AtomicInteger();
    private final LogThrottle refusalLog = new LogThrottle(Duration.ofSeconds(10));
    private final ChannelGroup webSockets = new DefaultChannelGroup("ranna-websockets", GlobalEventExecutor.INSTANCE);
    private final MeterRegistry registry;
    private final @Nullable Supplier<String> scrape;
    private final BuildInfo buildInfo;
    private final @Nullable PlaygroundAssets playground;
    private volatile boolean shuttingDown;

    /**
     * @param scrape the Prometheus text of the registry for {@code /metrics}, or null to answer 404 there
     * @throws IllegalArgumentException if the trusted proxies cannot be parsed
     */
    public ServerContext(
            RannaEngine engine,
            ServerOptions options,
            MeterRegistry registry,
            @Nullable Supplier<String> scrape,
            BuildInfo buildInfo) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.options = Objects.requireNonNull(options, "options");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.scrape = scrape;
        this.buildInfo = Objects.requireNonNull(buildInfo, "buildInfo");
        // Read once, at start: a build that lost a WebJar fails here rather than on a visitor's request.
        this.playground = options.playground() ? PlaygroundAssets.load() : null;
        this.access = new AccessPolicy(
                options.tokens(),
                options.corsAllowedOrigins(),
                options.webSocketAllowedOrigins(),
                options.loopbackOriginsOnly());
        this.proxies = TrustedProxies.parse(options.trustedProxies()).withIpv6PrefixLength(options.ipv6PrefixLength());
        this.limiter = new ConnectionLimiter(options.maxConnectionsPerClient());
        this.addressLimiter = new ConnectionLimiter(options.maxConnectionsPerAddress());
        Gauge.builder("ranna.websocket.connections", limiter, ConnectionLimiter::total)
                .description("Open WebSocket connections")
                .register(registry);
        Gauge.builder("ranna.connections", connections, AtomicInteger::get)
                .description("Open connections of any kind")
                .register(registry);
    }

    /**
     * Admits a newly accepted connection: a place under the server-wide cap and, unless its peer is a
     * trusted proxy, under its address's cap. Both are given back when the channel closes.
     *
     * @return null if admitted, else why not (for the log)
     */
    public @Nullable String admit(Channel channel) {
        int max = options.maxConnections();
        if (connections.incrementAndGet() > max && max > 0) {
            connections.decrementAndGet();
            return refused("server", "the server-wide cap of " + max + " connections (api.maxconnections)");
        }
        String key = proxies.peerKey(channel.remoteAddress());
        if (key != null && !addressLimiter.tryAcquire(key)) {
            connections.decrementAndGet();
            return refused(
                    "address",
                    key + " already holds " + options.maxConnectionsPerAddress()
                            + " connections (api.maxconnectionsperclient)");
        }
        channel.closeFuture().addListener(future -> {
            connections.decrementAndGet();
            if (key != null) {
                addressLimiter.release(key);
            }
        });
        return null;
    }

    private String refused(String limit, String why) {
        Counter.builder("ranna.connections.refused")
                .description("Connections closed at accept because a connection cap was reached")
                .tag("limit", limit)
                .register(registry)
                .increment();
        long suppressed = refusalLog.tryAcquire();
        if (suppressed >= 0) {
            log.warn(
                    "refusing connections: {}{}",
                    why,
                    suppressed > 0 ? " (" + suppressed + " more refusals since the last report)" : "");
        }
        return why;
    }

    /** Open connections of any kind. */
    public int connections() {
        return connections.get();
    }

    /** Open connections counted for {@code key}, an address key as {@link TrustedProxies#peerKey} gives. */
    public int connectionsOf(String key) {
        return addressLimiter.count(key);
    }

    public RannaEngine engine() {
        return engine;
    }

    public ServerOptions options() {
        return options;
    }

    /** The reader of REST request bodies (untrusted). */
    public RestRequestDecoder restRequests() {
        return restRequests;
    }

    /** The writer of REST response bodies. */
    public RestResponseEncoder restResponses() {
        return restResponses;
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

    /** The playground's files, or null when {@code api.playground} is off. */
    public @Nullable PlaygroundAssets playground() {
        return playground;
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
