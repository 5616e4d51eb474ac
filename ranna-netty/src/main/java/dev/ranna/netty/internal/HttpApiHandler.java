package dev.ranna.netty.internal;

import dev.ranna.engine.ExecOutcome;
import dev.ranna.playground.PlaygroundAssets;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.SystemInfo;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.WriteTimeoutException;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers everything on HTTP that is not a WebSocket frame: the REST API, CORS preflights, health and
 * metrics; it vets WebSocket upgrade requests (method, token, origin, connections per client) and passes
 * the accepted ones on to Netty's handshake handler.
 *
 * <p>One per channel. Never blocks: {@code POST /v1/exec} completes from the engine's future (cancelled,
 * so the run is killed, if the connection closes first); {@link HttpPipeliningHandler} before it holds
 * the next request meanwhile, so answers go out in request order.
 */
public final class HttpApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpApiHandler.class);

    /** The WebSocket endpoint. */
    public static final String WEBSOCKET_PATH = "/v1/ws";

    private static final String ALLOWED_METHODS = "GET, POST, OPTIONS";
    private static final String DEFAULT_ALLOWED_HEADERS = "Content-Type, Authorization";

    private final ServerContext context;

    public HttpApiHandler(ServerContext context) {
        // Not auto-released: an accepted upgrade request travels on to the handshake handler.
        super(FullHttpRequest.class, false);
        this.context = context;
    }

    /** The metrics route of a path: known endpoints by name, anything else as {@code other}. */
    static String route(String path) {
        switch (path) {
            case WEBSOCKET_PATH:
            case "/v1/spec":
            case "/v1/info":
            case "/v1/exec":
            case "/healthz":
            case "/metrics":
                return path;
            case "/":
                return "/playground";
            default:
                return path.startsWith(PlaygroundAssets.PREFIX) ? "/playground" : "other";
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean forwarded = false;
        try {
            forwarded = handle(ctx, request);
        } finally {
            if (!forwarded) {
                request.release();
            }
        }
    }

    /** Returns true if the request was passed on (and must not be released here). */
    private boolean handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        var exchange = new Exchange(request);
        if (!request.decoderResult().isSuccess()) {
            exchange.keepAlive = false;
            respond(ctx, exchange, HttpResponses.error(context, 400, "malformed HTTP request"));
            return false;
        }
        HttpMethod method = request.method();
        if (context.playground() != null && PlaygroundAssets.owns(exchange.path)) {
            // Public static files, the same for everyone: no origin rule, no token (the page holds no secret;
            // every API call it makes is under the API's own rules).
            playground(ctx, exchange, request, context.playground());
            return false;
        }
        if (!exchange.path.equals("/healthz") && !context.access().requestOriginAllowed(exchange.origin)) {
            respond(ctx, exchange, HttpResponses.error(context, 403, "origin not allowed"));
            return false;
        }
        if (HttpMethod.OPTIONS.equals(method)) {
            preflight(ctx, exchange, request.headers());
            return false;
        }
        switch (exchange.path) {
            case "/healthz":
                if (requireMethod(ctx, exchange, method, HttpMethod.GET)) {
                    respond(
                            ctx,
                            exchange,
                            context.shuttingDown()
                                    ? HttpResponses.json(
                                            HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"status\":\"shutting down\"}")
                                    : HttpResponses.json(HttpResponseStatus.OK, "{\"status\":\"ok\"}"));
                }
                return false;
            case WEBSOCKET_PATH:
                return upgrade(ctx, exchange, request);
            case "/v1/spec":
                if (requireMethod(ctx, exchange, method, HttpMethod.GET) && requireToken(ctx, exchange, request)) {
                    respond(
                            ctx,
                            exchange,
                            HttpResponses.json(
                                    HttpResponseStatus.OK,
                                    context.restResponses()
                                            .encode(context.engine().specs().specMap())));
                }
                return false;
            case "/v1/info":
                if (requireMethod(ctx, exchange, method, HttpMethod.GET) && requireToken(ctx, exchange, request)) {
                    respond(
                            ctx,
                            exchange,
                            HttpResponses.json(
                                    HttpResponseStatus.OK,
                                    context.restResponses().encode(info())));
                }
                return false;
            case "/v1/exec":
                if (requireMethod(ctx, exchange, method, HttpMethod.POST) && requireToken(ctx, exchange, request)) {
                    exec(ctx, exchange, request);
                }
                return false;
            case "/metrics":
                Supplier<String> scrape = context.scrape();
                if (scrape == null) {
                    respond(ctx, exchange, HttpResponses.error(context, 404, "not found"));
                } else if (requireMethod(ctx, exchange, method, HttpMethod.GET)
                        && requireToken(ctx, exchange, request)) {
                    respond(
                            ctx,
                            exchange,
                            HttpResponses.body(HttpResponseStatus.OK, HttpResponses.PROMETHEUS_TEXT, scrape.get()));
                }
                return false;
            default:
                respond(ctx, exchange, HttpResponses.error(context, 404, "not found"));
                return false;
        }
    }

    private void playground(
            ChannelHandlerContext ctx, Exchange exchange, FullHttpRequest request, PlaygroundAssets assets) {
        HttpMethod method = request.method();
        FullHttpResponse response;
        PlaygroundAssets.Asset asset = assets.find(exchange.path);
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            response = HttpResponses.body(
                    HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        } else if (asset == null) {
            response = HttpResponses.body(HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
        } else if (asset.matches(request.headers().get(HttpHeaderNames.IF_NONE_MATCH))) {
            response = HttpResponses.empty(HttpResponseStatus.NOT_MODIFIED);
            response.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            response.headers().set(HttpHeaderNames.ETAG, asset.etag());
        } else {
            boolean head = HttpMethod.HEAD.equals(method);
            var body = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(asset.body());
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, asset.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, asset.body().length)
                    .set(HttpHeaderNames.ETAG, asset.etag());
        }
        PlaygroundAssets.securityHeaders(request.headers().get(HttpHeaderNames.HOST))
                .forEach((name, value) -> response.headers().set(name, value));
        respond(ctx, exchange, response);
    }

    private SystemInfo info() {
        SystemInfo.Sandbox sandbox = context.engine().sandboxInfo();
        var details = new LinkedHashMap<String, String>(sandbox.details());
        context.options().infoDetails().forEach(details::putIfAbsent);
        return new SystemInfo(
                context.buildInfo().version(),
                context.buildInfo().buildDate(),
                Runtime.version().toString(),
                new SystemInfo.Sandbox(sandbox.type(), sandbox.version(), details),
                context.engine().features());
    }

    private void exec(ChannelHandlerContext ctx, Exchange exchange, FullHttpRequest request) {
        DecodeResult decoded =
                context.restRequests().decodeExecutionRequest(request.content().toString(StandardCharsets.UTF_8));
        if (decoded instanceof DecodeResult.Failure) {
            DecodeResult.Failure failure = (DecodeResult.Failure) decoded;
            respond(ctx, exchange, HttpResponses.error(context, failure.code(), failure.message()));
            return;
        }
        Operation operation = ((DecodeResult.Success) decoded).operation();
        if (!(operation instanceof Operation.Exec)) {
            respond(ctx, exchange, HttpResponses.error(context, 400, "invalid request body"));
            return;
        }
        String clientKey = clientAddress(ctx, request);
        // Answers stay in request order without a queue: HttpPipeliningHandler passes the next request on
        // only once this answer is on the socket.
        CompletableFuture<ExecOutcome> future =
                context.engine().exec(((Operation.Exec) operation).request(), clientKey);
        // A client that goes away before its answer does not keep its run: cancelling tells the engine to
        // kill it, as a WebSocket disconnect does.
        GenericFutureListener<Future<? super Void>> abandon = closed -> future.cancel(false);
        ctx.channel().closeFuture().addListener(abandon);
        future.whenComplete((outcome, error) -> {
            ctx.channel().closeFuture().removeListener(abandon);
            if (future.isCancelled() || !ctx.channel().isActive()) {
                return;
            }
            FullHttpResponse response;
            if (outcome != null) {
                ExecOutcome.RestAnswer answer = outcome.restAnswer(context.restResponses());
                response = HttpResponses.json(HttpResponseStatus.valueOf(answer.status()), answer.utf8Body());
            } else {
                log.error("engine exec failed unexpectedly", error);
                response = HttpResponses.error(context, 500, "internal error");
            }
            ctx.executor().execute(() -> respond(ctx, exchange, response));
        });
    }

    private boolean upgrade(ChannelHandlerContext ctx, Exchange exchange, FullHttpRequest request) {
        HttpHeaders headers = request.headers();
        boolean isUpgrade = HttpMethod.GET.equals(request.method())
                && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
        if (!isUpgrade) {
            respond(ctx, exchange, HttpResponses.error(context, 400, "expected a WebSocket upgrade request"));
            return false;
        }
        if (context.shuttingDown()) {
            respond(ctx, exchange, HttpResponses.error(context, 503, "server is shutting down"));
            return false;
        }
        List<String> tokens = new QueryStringDecoder(request.uri()).parameters().get("token");
        String queryToken = tokens == null || tokens.isEmpty() ? null : tokens.get(0);
        if (!context.access().authorized(headers.get(HttpHeaderNames.AUTHORIZATION), queryToken)) {
            respond(ctx, exchange, unauthorized());
            return false;
        }
        if (!context.access().webSocketOriginAllowed(exchange.origin)) {
            log.info(
                    "refused a WebSocket upgrade from origin {} ({})",
                    exchange.origin,
                    ctx.channel().remoteAddress());
            respond(ctx, exchange, HttpResponses.error(context, 403, "origin not allowed"));
            return false;
        }
        String clientKey = clientAddress(ctx, request);
        if (!context.limiter().tryAcquire(clientKey)) {
            respond(ctx, exchange, HttpResponses.error(context, 429, "too many connections from this address"));
            return false;
        }
        ctx.channel().attr(ServerContext.CLIENT_KEY).set(clientKey);
        ctx.channel().closeFuture().addListener(future -> context.limiter().release(clientKey));
        context.countRequest(WEBSOCKET_PATH, 101);
        ctx.fireChannelRead(request);
        return true;
    }

    private void preflight(ChannelHandlerContext ctx, Exchange exchange, HttpHeaders headers) {
        if (exchange.origin == null || !headers.contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD)) {
            FullHttpResponse response = HttpResponses.empty(HttpResponseStatus.NO_CONTENT);
            response.headers().set(HttpHeaderNames.ALLOW, ALLOWED_METHODS);
            respond(ctx, exchange, response);
            return;
        }
        if (context.access().corsAllowOrigin(exchange.origin) == null) {
            respond(ctx, exchange, HttpResponses.error(context, 403, "origin not allowed"));
            return;
        }
        FullHttpResponse response = HttpResponses.empty(HttpResponseStatus.NO_CONTENT);
        String requested = headers.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
        response.headers()
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS)
                .set(
                        HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
                        requested == null || requested.isBlank() ? DEFAULT_ALLOWED_HEADERS : requested)
                .set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, 600)
                .add(HttpHeaderNames.VARY, HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
        respond(ctx, exchange, response);
    }

    private boolean requireMethod(
            ChannelHandlerContext ctx, Exchange exchange, HttpMethod actual, HttpMethod expected) {
        if (expected.equals(actual)) {
            return true;
        }
        FullHttpResponse response = HttpResponses.error(context, 405, "method not allowed: use " + expected);
        response.headers().set(HttpHeaderNames.ALLOW, expected + ", OPTIONS");
        respond(ctx, exchange, response);
        return false;
    }

    private boolean requireToken(ChannelHandlerContext ctx, Exchange exchange, FullHttpRequest request) {
        if (context.access().authorized(request.headers().get(HttpHeaderNames.AUTHORIZATION), null)) {
            return true;
        }
        respond(ctx, exchange, unauthorized());
        return false;
    }

    private FullHttpResponse unauthorized() {
        FullHttpResponse response = HttpResponses.error(context, 401, "unauthorized");
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"ranna\"");
        return response;
    }

    private String clientAddress(ChannelHandlerContext ctx, FullHttpRequest request) {
        return context.proxies()
                .clientAddress(ctx.channel().remoteAddress(), request.headers().getAll("X-Forwarded-For"));
    }

    private void respond(ChannelHandlerContext ctx, Exchange exchange, FullHttpResponse response) {
        if (response.status().code() == 408) {
            // Never 408 over HTTP: browsers silently re-send a request answered 408 on a reused connection.
            response.setStatus(HttpResponseStatus.BAD_REQUEST);
        }
        HttpResponses.cors(context, response, exchange.origin);
        if (exchange.keepAlive) {
            if (exchange.version.equals(HttpVersion.HTTP_1_0)) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        } else {
            HttpResponses.close(response);
        }
        context.countRequest(route(exchange.path), response.status().code());
        var future = ctx.writeAndFlush(response);
        if (!exchange.keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (ctx.channel().attr(ServerContext.CLIENT_KEY).get() != null) {
            // A WebSocket connection: its own handlers further on decide (close codes for bad frames).
            ctx.fireExceptionCaught(cause);
            return;
        }
        if (cause instanceof java.io.IOException
                || cause instanceof PrematureChannelClosureException
                || cause instanceof WriteTimeoutException
                || cause instanceof DecoderException
                || cause.getCause() instanceof java.io.IOException) {
            // The client went away, cut a body short, stopped reading or sent bytes the HTTP codec refuses
            // (e.g. more pipelined requests than it tracks): its doing, and repeatable at will, so one
            // debug line, never a warning with a stack trace per connection.
            log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("HTTP connection {} failed", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    /** What the answer to a request needs after the request itself is released. */
    private static final class Exchange {
        final String path;
        final @Nullable String origin;
        final HttpVersion version;
        boolean keepAlive;

        Exchange(FullHttpRequest request) {
            this.path = new QueryStringDecoder(request.uri()).path();
            this.origin = request.headers().get(HttpHeaderNames.ORIGIN);
            this.version = request.protocolVersion();
            this.keepAlive = HttpUtil.isKeepAlive(request);
        }
    }
}
