package dev.ranna.netty;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The transport limits and access rules of a {@link RannaServer}; the run limits (timeout, output, code
 * size, rate limit) belong to the engine's {@link dev.ranna.engine.RunLimits}.
 *
 * <p>Immutable. Build with {@link #builder()}; {@link #DEFAULTS} is what {@link RannaServer} uses when
 * given none.
 *
 * @param maxMessageBytes the largest WebSocket message (one frame, or the frames of one fragmented
 *     message together); a larger one closes the connection with status 1009 (2 MiB)
 * @param maxRequestBytes the largest REST request body; a larger one is answered 413 (2 MiB)
 * @param handshakeTimeout time from connect to a complete first HTTP request, and from an upgrade
 *     request to the finished WebSocket handshake (10 s)
 * @param idleTimeout an HTTP keep-alive connection with no request in flight is closed after this long
 *     without traffic (15 s: an idle connection costs a descriptor, and browsers reconnect cheaply);
 *     WebSocket connections are not subject to it
 * @param pingInterval a WebSocket connection that sent nothing for this long gets a ping (30 s)
 * @param pongTimeout a WebSocket connection that answers nothing for this long after a ping is closed
 *     (30 s); a live but quiet client (a browser answers pings by itself) is never closed
 * @param maxConnectionsPerClient open WebSocket connections per client address; 0 means unlimited (32)
 * @param maxConnectionsPerAddress open connections of any kind (HTTP and WebSocket) per client address,
 *     counted at accept time by the socket's peer (IPv6 grouped by {@code ipv6PrefixLength}); peers that
 *     are trusted proxies are not counted per address. 0 means unlimited (64)
 * @param maxConnections open connections of any kind, server-wide; 0 means unlimited. Default: below
 *     the process's descriptor limit, leaving room for runs ({@link #defaultMaxConnections()})
 * @param ipv6PrefixLength IPv6 client addresses are grouped by this prefix for every per-client limit
 *     (64: one host or home network usually gets a whole /64); 128 keys each address alone
 * @param writeTimeout a write (a response or an event) that has not reached the socket after this long
 *     closes the connection, killing its runs (30 s): a client that stops reading cannot make the
 *     server hold its answers
 * @param trustedProxies addresses or CIDR ranges whose {@code X-Forwarded-For} header is believed
 *     (ranna's {@code api.trustedproxies}); empty by default
 * @param tokens access tokens; when any are set, REST calls need {@code Authorization: Bearer <token>} and
 *     WebSocket upgrades that header or {@code ?token=}; empty (no authentication) by default
 * @param corsAllowedOrigins origins answered by CORS; {@code *} (the default) allows any
 * @param webSocketAllowedOrigins origins whose WebSocket upgrades are accepted; empty (the default)
 *     accepts any, as browser clients of ranna need
 * @param loopbackOriginsOnly accept WebSocket upgrades only without an {@code Origin} or from a loopback
 *     origin ({@code localhost}, {@code 127.0.0.0/8}, {@code [::1]}); for a sandbox without isolation
 * @param shutdownTimeout how long {@link RannaServer#close()} waits for connections and threads after
 *     the engine has closed (5 s)
 * @param infoDetails extra fields for the {@code sandbox} object of {@code /v1/info}, added when the
 *     engine does not already report them (e.g. {@code isolation=none})
 * @param playground serve the browser playground at {@code /} and {@code /playground/...} (true); false
 *     answers 404 there
 */
public record ServerOptions(
        int maxMessageBytes,
        int maxRequestBytes,
        Duration handshakeTimeout,
        Duration idleTimeout,
        Duration pingInterval,
        Duration pongTimeout,
        int maxConnectionsPerClient,
        int maxConnectionsPerAddress,
        int maxConnections,
        int ipv6PrefixLength,
        Duration writeTimeout,
        List<String> trustedProxies,
        Set<String> tokens,
        List<String> corsAllowedOrigins,
        List<String> webSocketAllowedOrigins,
        boolean loopbackOriginsOnly,
        Duration shutdownTimeout,
        Map<String, String> infoDetails,
        boolean playground) {

    /** The defaults listed above. */
    public static final ServerOptions DEFAULTS = builder().build();

    /** @throws IllegalArgumentException naming the parameter and its value, if it is out of range */
    public ServerOptions {
        positive("maxMessageBytes", maxMessageBytes);
        positive("maxRequestBytes", maxRequestBytes);
        positive("handshakeTimeout", handshakeTimeout);
        positive("idleTimeout", idleTimeout);
        positive("pingInterval", pingInterval);
        positive("pongTimeout", pongTimeout);
        if (maxConnectionsPerClient < 0) {
            throw new IllegalArgumentException("maxConnectionsPerClient must be >= 0: " + maxConnectionsPerClient);
        }
        if (maxConnectionsPerAddress < 0) {
            throw new IllegalArgumentException("maxConnectionsPerAddress must be >= 0: " + maxConnectionsPerAddress);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must be >= 0: " + maxConnections);
        }
        if (ipv6PrefixLength < 1 || ipv6PrefixLength > 128) {
            throw new IllegalArgumentException("ipv6PrefixLength must be 1..128: " + ipv6PrefixLength);
        }
        positive("writeTimeout", writeTimeout);
        trustedProxies = List.copyOf(trustedProxies);
        tokens = Collections.unmodifiableSet(new LinkedHashSet<>(tokens));
        for (String token : tokens) {
            if (token.isBlank()) {
                throw new IllegalArgumentException("tokens must not contain a blank token");
            }
        }
        corsAllowedOrigins = List.copyOf(corsAllowedOrigins);
        webSocketAllowedOrigins = List.copyOf(webSocketAllowedOrigins);
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        if (shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("shutdownTimeout must be >= 0: " + shutdownTimeout);
        }
        infoDetails = Collections.unmodifiableMap(new LinkedHashMap<>(infoDetails));
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }

    private static void positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }

    /**
     * The default of {@link #maxConnections()}: three quarters of the process's open-file limit, and at
     * least 512 descriptors below it, so that runs (pipes, cgroup files, Docker sockets) and the server's
     * own files still open when connections have taken their share; 10,000 if the limit cannot be read.
     * Never below 64.
     */
    public static int defaultMaxConnections() {
        long limit = -1;
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
            limit = ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount();
        }
        if (limit <= 0) {
            return 10_000;
        }
        long connections = Math.min(limit * 3 / 4, limit - 512);
        return (int) Math.max(64, Math.min(Integer.MAX_VALUE, connections));
    }

    /** Whether access tokens are required. */
    public boolean authenticationRequired() {
        return !tokens.isEmpty();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder()
                .maxMessageBytes(maxMessageBytes)
                .maxRequestBytes(maxRequestBytes)
                .handshakeTimeout(handshakeTimeout)
                .idleTimeout(idleTimeout)
                .pingInterval(pingInterval)
                .pongTimeout(pongTimeout)
                .maxConnectionsPerClient(maxConnectionsPerClient)
                .maxConnectionsPerAddress(maxConnectionsPerAddress)
                .maxConnections(maxConnections)
                .ipv6PrefixLength(ipv6PrefixLength)
                .writeTimeout(writeTimeout)
                .trustedProxies(trustedProxies)
                .tokens(tokens)
                .corsAllowedOrigins(corsAllowedOrigins)
                .webSocketAllowedOrigins(webSocketAllowedOrigins)
                .loopbackOriginsOnly(loopbackOriginsOnly)
                .shutdownTimeout(shutdownTimeout)
                .infoDetails(infoDetails)
                .playground(playground);
    }

    @Override
    public String toString() {
        // Tokens are secrets: never print them.
        return "ServerOptions[maxMessageBytes=" + maxMessageBytes + ", maxRequestBytes=" + maxRequestBytes
                + ", handshakeTimeout=" + handshakeTimeout + ", idleTimeout=" + idleTimeout + ", pingInterval="
                + pingInterval + ", pongTimeout=" + pongTimeout + ", maxConnectionsPerClient="
                + maxConnectionsPerClient + ", maxConnectionsPerAddress=" + maxConnectionsPerAddress
                + ", maxConnections=" + maxConnections + ", ipv6PrefixLength=" + ipv6PrefixLength
                + ", writeTimeout=" + writeTimeout + ", trustedProxies=" + trustedProxies + ", tokens=" + tokens.size()
                + " configured, corsAllowedOrigins=" + corsAllowedOrigins + ", webSocketAllowedOrigins="
                + webSocketAllowedOrigins + ", loopbackOriginsOnly=" + loopbackOriginsOnly + ", shutdownTimeout="
                + shutdownTimeout + ", infoDetails=" + infoDetails + ", playground=" + playground + "]";
    }

    /** Builds {@link ServerOptions}; not thread-safe. Setters take the record's parameter names. */
    public static final class Builder {
        private int maxMessageBytes = 2 * 1024 * 1024;
        private int maxRequestBytes = 2 * 1024 * 1024;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(15);
        private Duration pingInterval = Duration.ofSeconds(30);
        private Duration pongTimeout = Duration.ofSeconds(30);
        private int maxConnectionsPerClient = 32;
        private int maxConnectionsPerAddress = 64;
        private int maxConnections = defaultMaxConnections();
        private int ipv6PrefixLength = 64;
        private Duration writeTimeout = Duration.ofSeconds(30);
        private List<String> trustedProxies = List.of();
        private Set<String> tokens = Set.of();
        private List<String> corsAllowedOrigins = List.of("*");
        private List<String> webSocketAllowedOrigins = List.of();
        private boolean loopbackOriginsOnly;
        private Duration shutdownTimeout = Duration.ofSeconds(5);
        private Map<String, String> infoDetails = Map.of();
        private boolean playground = true;

        private Builder() {}

        public Builder maxMessageBytes(int maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
            return this;
        }

        public Builder maxRequestBytes(int maxRequestBytes) {
            this.maxRequestBytes = maxRequestBytes;
            return this;
        }

        public Builder handshakeTimeout(Duration handshakeTimeout) {
            this.handshakeTimeout = handshakeTimeout;
            return this;
        }

        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        public Builder pingInterval(Duration pingInterval) {
            this.pingInterval = pingInterval;
            return this;
        }

        public Builder pongTimeout(Duration pongTimeout) {
            this.pongTimeout = pongTimeout;
            return this;
        }

        public Builder maxConnectionsPerClient(int maxConnectionsPerClient) {
            this.maxConnectionsPerClient = maxConnectionsPerClient;
            return this;
        }

        public Builder maxConnectionsPerAddress(int maxConnectionsPerAddress) {
            this.maxConnectionsPerAddress = maxConnectionsPerAddress;
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder ipv6PrefixLength(int ipv6PrefixLength) {
            this.ipv6PrefixLength = ipv6PrefixLength;
            return this;
        }

        public Builder writeTimeout(Duration writeTimeout) {
            this.writeTimeout = writeTimeout;
            return this;
        }

        public Builder trustedProxies(List<String> trustedProxies) {
            this.trustedProxies = new ArrayList<>(trustedProxies);
            return this;
        }

        public Builder tokens(Set<String> tokens) {
            this.tokens = new LinkedHashSet<>(tokens);
            return this;
        }

        public Builder corsAllowedOrigins(List<String> corsAllowedOrigins) {
            this.corsAllowedOrigins = new ArrayList<>(corsAllowedOrigins);
            return this;
        }

        public Builder webSocketAllowedOrigins(List<String> webSocketAllowedOrigins) {
            this.webSocketAllowedOrigins = new ArrayList<>(webSocketAllowedOrigins);
            return this;
        }

        public Builder loopbackOriginsOnly(boolean loopbackOriginsOnly) {
            this.loopbackOriginsOnly = loopbackOriginsOnly;
            return this;
        }

        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
            return this;
        }

        public Builder infoDetails(Map<String, String> infoDetails) {
            this.infoDetails = new LinkedHashMap<>(infoDetails);
            return this;
        }

        public Builder playground(boolean playground) {
            this.playground = playground;
            return this;
        }

        /** @throws IllegalArgumentException if a value is out of range */
        public ServerOptions build() {
            return new ServerOptions(
                    maxMessageBytes,
                    maxRequestBytes,
                    handshakeTimeout,
                    idleTimeout,
                    pingInterval,
                    pongTimeout,
                    maxConnectionsPerClient,
                    maxConnectionsPerAddress,
                    maxConnections,
                    ipv6PrefixLength,
                    writeTimeout,
                    trustedProxies,
                    tokens,
                    corsAllowedOrigins,
                    webSocketAllowedOrigins,
                    loopbackOriginsOnly,
                    shutdownTimeout,
                    infoDetails,
                    playground);
        }
    }
}
