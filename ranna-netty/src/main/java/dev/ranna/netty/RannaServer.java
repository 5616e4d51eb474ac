package dev.ranna.netty;

import dev.ranna.engine.RannaEngine;
import dev.ranna.netty.internal.BuildInfo;
import dev.ranna.netty.internal.RannaChannelInitializer;
import dev.ranna.netty.internal.ServerContext;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ranna WebSocket and REST server on Netty: {@code GET /v1/ws}, {@code GET /v1/spec}, {@code GET
 * /v1/info}, {@code POST /v1/exec}, {@code GET /healthz} and {@code GET /metrics}, all backed by one
 * {@link RannaEngine}.
 *
 * <pre>{@code
 * try (RannaEngine engine = RannaEngine.builder().build();
 *         RannaServer server = RannaServer.builder().engine(engine).port(0).build().start()) {
 *     System.out.println("listening on " + server.port());
 *     ...
 * }
 * }</pre>
 *
 * <p>Lifecycle: {@link Builder#build()} validates, {@link #start()} binds (once), {@link #close()} shuts
 * down gracefully: it stops accepting, closes the engine if the server owns it (so every run is killed
 * and its client gets the STOP with {@code killed}), closes WebSocket connections with status 1001, and
 * stops Netty's threads, each step bounded in time. Thread-safe.
 */
public final class RannaServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RannaServer.class);

    private final RannaEngine engine;
    private final boolean ownsEngine;
    private final String host;
    private final int requestedPort;
    private final ServerContext context;
    private final ChannelGroup allChannels = new DefaultChannelGroup("ranna-all", GlobalEventExecutor.INSTANCE);

    private final Object lock = new Object();
    private @Nullable EventLoopGroup bossGroup;
    private @Nullable EventLoopGroup workerGroup;
    private @Nullable Channel serverChannel;
    private int boundPort = -1;
    private boolean closed;

    private RannaServer(Builder builder, RannaEngine engine, PrometheusMeterRegistry registry) {
        this.engine = engine;
        this.ownsEngine = builder.ownsEngine;
        this.host = builder.host;
        this.requestedPort = builder.port;
        this.context = new ServerContext(engine, builder.options, registry, registry::scrape, BuildInfo.current());
    }

    /** A builder: loopback, port 8080, {@link ServerOptions#DEFAULTS}, owning its engine. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the port and starts accepting connections; returns once the port is bound.
     *
     * @return this server
     * @throws UncheckedIOException if the address cannot be bound
     * @throws IllegalStateException if already started or closed
     */
    public RannaServer start() {
        synchronized (lock) {
            if (closed || serverChannel != null) {
                throw new IllegalStateException(closed ? "server is closed" : "server already started");
            }
            // Non-daemon: the standalone server's main thread returns after start(), and the accept
            // thread is what keeps the JVM running until close().
            var boss = new MultiThreadIoEventLoopGroup(
                    1, new DefaultThreadFactory("ranna-accept", false), NioIoHandler.newFactory());
            var workers = new MultiThreadIoEventLoopGroup(
                    0, new DefaultThreadFactory("ranna-io", false), NioIoHandler.newFactory());
            try {
                var bootstrap = new ServerBootstrap()
                        .group(boss, workers)
                        .channel(NioServerSocketChannel.class)
                        .option(ChannelOption.SO_BACKLOG, 1024)
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childOption(ChannelOption.SO_KEEPALIVE, true)
                        .childOption(
                                ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 128 * 1024))
                        .handler(RannaChannelInitializer.acceptBackoff())
                        .childHandler(new RannaChannelInitializer(context, allChannels));
                var future = bootstrap
                        .bind(new InetSocketAddress(host, requestedPort))
                        .syncUninterruptibly();
                serverChannel = future.channel();
            } catch (Exception e) { // bind failures arrive as undeclared IOExceptions
                boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
                workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
                if (e instanceof IOException) {
                    throw new UncheckedIOException(
                            "cannot listen on " + host + ":" + requestedPort + ": " + e.getMessage(), (IOException) e);
                }
                if (e instanceof RuntimeException) {
                    throw (RuntimeException) e;
                }
                throw new IllegalStateException("cannot listen on " + host + ":" + requestedPort, e);
            }
            bossGroup = boss;
            workerGroup = workers;
            boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
            log.info(
                    "ranna server listening on {}:{} (sandbox {}, WebSocket at ws://{}:{}/v1/ws)",
                    host,
                    boundPort,
                    engine.sandboxName(),
                    host.equals("0.0.0.0") || host.equals("::")
                            ? "localhost"
                            : host.contains(":") ? "[" + host + "]" : host,
                    boundPort);
            ServerOptions options = context.options();
            log.info(
                    "connection limits: {} server-wide, {} per client address, {} WebSockets per client;"
                            + " idle HTTP closed after {} s; a write waiting {} s closes its connection",
                    limit(options.maxConnections()),
                    limit(options.maxConnectionsPerAddress()),
                    limit(options.maxConnectionsPerClient()),
                    options.idleTimeout().toSeconds(),
                    options.writeTimeout().toSeconds());
            return this;
        }
    }

    private static String limit(int value) {
        return value == 0 ? "unlimited" : Integer.toString(value);
    }

    /** The bound port (the real one when built with port 0). @throws IllegalStateException if not started */
    public int port() {
        synchronized (lock) {
            if (boundPort < 0) {
                throw new IllegalStateException("server not started");
            }
            return boundPort;
        }
    }

    /** The address the server binds to. */
    public String host() {
        return host;
    }

    /** The engine behind this server. */
    public RannaEngine engine() {
        return engine;
    }

    /** The options in force. */
    public ServerOptions options() {
        return context.options();
    }

    /** Open WebSocket connections. */
    public int webSocketConnections() {
        return context.limiter().total();
    }

    /** Open connections of any kind (HTTP keep-alive and WebSocket). */
    public int connections() {
        return context.connections();
    }

    /**
     * Shuts down gracefully, within a bounded time: the engine's shutdown timeout plus {@link
     * ServerOptions#shutdownTimeout()} twice. Idempotent. Must not be called from one of the server's
     * own threads.
     */
    @Override
    public void close() {
        EventLoopGroup boss;
        EventLoopGroup workers;
        Channel listener;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            boss = bossGroup;
            workers = workerGroup;
            listener = serverChannel;
        }
        Duration timeout = context.options().shutdownTimeout();
        log.info("ranna server shutting down");
        context.beginShutdown();
        if (listener != null) {
            listener.close().awaitUninterruptibly(timeout.toMillis());
        }
        if (ownsEngine) {
            // Kills every run; connected clients get their STOP (killed) before their close frame below.
            engine.close();
        }
        context.webSockets()
                .writeAndFlush(
                        new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "server shutting down"))
                .addListener(future -> context.webSockets().close());
        if (!allChannels.newCloseFuture().awaitUninterruptibly(timeout.toMillis())) {
            log.warn("connections still open after {}; closing them", timeout);
        }
        allChannels.close().awaitUninterruptibly(timeout.toMillis());
        if (boss != null) {
            boss.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (workers != null) {
            workers.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .awaitUninterruptibly(timeout.toMillis());
        }
        log.info("ranna server stopped");
    }

    /** Builds a {@link RannaServer}. Not thread-safe. */
    public static final class Builder {
        private @Nullable RannaEngine engine;
        private String host = "127.0.0.1";
        private int port = 8080;
        private ServerOptions options = ServerOptions.DEFAULTS;
        private @Nullable PrometheusMeterRegistry registry;
        private boolean ownsEngine = true;

        private Builder() {}

        /** The engine to serve; required. */
        public Builder engine(RannaEngine engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
            return this;
        }

        /** The address to bind: an IP literal or host name; {@code 0.0.0.0} for every interface. */
        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            this.host = host.trim();
            return this;
        }

        /** The port to bind, 0 for any free port (read it back with {@link RannaServer#port()}). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535: " + port);
            }
            this.port = port;
            return this;
        }

        /** Transport limits and access rules. */
        public Builder options(ServerOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * The registry served at {@code /metrics}; give the engine the same one to see its metrics too.
         * Default: a new registry with the server's own metrics.
         */
        public Builder meterRegistry(PrometheusMeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** Whether {@link RannaServer#close()} also closes the engine (default true). */
        public Builder ownsEngine(boolean ownsEngine) {
            this.ownsEngine = ownsEngine;
            return this;
        }

        /**
         * @throws IllegalStateException if no engine was given
         * @throws IllegalArgumentException if an option cannot be used, e.g. a trusted proxy that is not an
         *     address
         */
        public RannaServer build() {
            if (engine == null) {
                throw new IllegalStateException("engine is required");
            }
            return new RannaServer(
                    this, engine, registry != null ? registry : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        }
    }
}
