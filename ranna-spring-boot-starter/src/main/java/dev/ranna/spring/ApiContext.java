package dev.ranna.spring;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.access.AccessPolicy;
import dev.ranna.engine.access.ApiKeys;
import dev.ranna.engine.access.ConnectionLimiter;
import dev.ranna.engine.access.TrustedProxies;
import dev.ranna.protocol.json.EventEncoder;
import dev.ranna.protocol.json.OperationDecoder;
import dev.ranna.protocol.json.RestRequestDecoder;
import dev.ranna.protocol.json.RestResponseEncoder;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every request and WebSocket connection of the API shares: the engine, the access rules and limits
 * of {@link ApiKeys} as the Netty server applies them, the codecs and one timer thread for WebSocket pings.
 * Thread-safe; {@link #close()} stops the timer.
 */
final class ApiContext implements AutoCloseable {
    final RannaEngine engine;
    final AccessPolicy access;
    final TrustedProxies proxies;
    final ConnectionLimiter webSocketsPerClient;
    final int maxMessageBytes;
    final int maxBodyBytes;
    final Duration pingInterval;
    final Duration pongTimeout;
    final Duration writeTimeout;
    final Map<String, String> infoDetails;
    final OperationDecoder operations = OperationDecoder.create();
    final EventEncoder events = EventEncoder.create();
    final RestRequestDecoder restRequests = RestRequestDecoder.create();
    final RestResponseEncoder restResponses = RestResponseEncoder.create();
    final ScheduledExecutorService timer;

    ApiContext(
            RannaEngine engine, RannaSettings settings, boolean loopbackOriginsOnly, Map<String, String> infoDetails) {
        this.engine = engine;
        List<String> cors = settings.get(ApiKeys.CORS_ORIGINS);
        this.access = new AccessPolicy(
                new LinkedHashSet<>(settings.find(ApiKeys.TOKENS).orElse(List.of())),
                cors.isEmpty() ? List.of("*") : cors,
                settings.find(ApiKeys.WS_ORIGINS).orElse(List.of()),
                loopbackOriginsOnly);
        this.proxies = TrustedProxies.parse(
                        settings.find(ApiKeys.TRUSTED_PROXIES).orElse(List.of()))
                .withIpv6PrefixLength(settings.get(ApiKeys.IPV6_PREFIX));
        this.webSocketsPerClient = new ConnectionLimiter(settings.get(ApiKeys.WS_MAX_CONNECTIONS));
        this.maxMessageBytes = settings.get(ApiKeys.WS_MAX_MESSAGE);
        this.maxBodyBytes = settings.get(ApiKeys.MAX_BODY);
        this.pingInterval = settings.get(ApiKeys.WS_PING_SECONDS);
        this.pongTimeout = settings.get(ApiKeys.WS_PONG_SECONDS);
        this.writeTimeout = settings.get(ApiKeys.WRITE_TIMEOUT_SECONDS);
        this.infoDetails = Map.copyOf(infoDetails);
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ranna-ws-keepalive");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
