package dev.ranna.spring;

import dev.ranna.engine.ExecOutcome;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.SystemInfo;
import dev.ranna.protocol.Utf8Text;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ranna's API under {@code <prefix>/v1/}: {@code GET spec}, {@code GET info}, {@code POST exec} and the
 * WebSocket at {@code ws}, with the Netty server's answers: ranna's {@code {"error","code"}} bodies, tokens
 * ({@code Authorization: Bearer}, or {@code ?token=} for the WebSocket), CORS on every answer and for
 * preflights, WebSocket {@code Origin} rules, WebSocket connections per client, the body size limit and
 * never a 408 (a timed-out run is 400, as ranna answers it).
 *
 * <p>A plain servlet, independent of Spring MVC, so the application's own MVC configuration (converters,
 * CORS mappings, exception handlers) neither changes ranna's answers nor sees them. {@code POST exec} is
 * asynchronous: no container thread waits for the run. The WebSocket upgrade is the standard {@link
 * ServerContainer#upgradeHttpToWebSocket}, to a {@link RannaEndpoint} per connection.
 *
 * <p>Thread-safe; one instance serves every request.
 */
final class RannaServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(RannaServlet.class);
    private static final String JSON = "application/json; charset=utf-8";
    private static final String ALLOWED_METHODS = "GET, POST, OPTIONS";
    private static final String DEFAULT_ALLOWED_HEADERS = "Content-Type, Authorization";

    private final transient ApiContext context;
    private final String version;
    private final String buildDate;

    RannaServlet(ApiContext context, String version, String buildDate) {
        this.context = context;
        this.version = version;
        this.buildDate = buildDate;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        String origin = request.getHeader("Origin");
        String method = request.getMethod();
        if (!context.access.requestOriginAllowed(origin)) {
            error(response, origin, 403, "origin not allowed");
            return;
        }
        if ("OPTIONS".equals(method)) {
            preflight(request, response, origin);
            return;
        }
        switch (path) {
            case "/ws" -> upgrade(request, response, origin);
            case "/spec" -> {
                if (requireMethod(response, origin, method, "GET") && requireToken(request, response, origin)) {
                    json(
                            response,
                            origin,
                            200,
                            context.restResponses.encode(context.engine.specs().specMap()));
                }
            }
            case "/info" -> {
                if (requireMethod(response, origin, method, "GET") && requireToken(request, response, origin)) {
                    json(response, origin, 200, context.restResponses.encode(info()));
                }
            }
            case "/exec" -> {
                if (requireMethod(response, origin, method, "POST") && requireToken(request, response, origin)) {
                    exec(request, response, origin);
                }
            }
            default -> error(response, origin, 404, "not found");
        }
    }

    private SystemInfo info() {
        SystemInfo.Sandbox sandbox = context.engine.sandboxInfo();
        var details = new LinkedHashMap<String, String>(sandbox.details());
        context.infoDetails.forEach(details::putIfAbsent);
        return new SystemInfo(
                version,
                buildDate,
                Runtime.version().toString(),
                new SystemInfo.Sandbox(sandbox.type(), sandbox.version(), details),
                context.engine.features());
    }

    private void exec(HttpServletRequest request, HttpServletResponse response, @Nullable String origin)
            throws IOException {
        String body = readBody(request);
        if (body == null) {
            // The rest of the body is not read: the connection goes, as on the Netty server.
            response.setHeader("Connection", "close");
            error(response, origin, 413, "request body too large: at most " + context.maxBodyBytes + " bytes");
            return;
        }
        DecodeResult decoded = context.restRequests.decodeExecutionRequest(body);
        if (decoded instanceof DecodeResult.Failure failure) {
            error(response, origin, failure.code(), failure.message());
            return;
        }
        Operation operation = ((DecodeResult.Success) decoded).operation();
        if (!(operation instanceof Operation.Exec exec)) {
            error(response, origin, 400, "invalid request body");
            return;
        }
        String clientKey = clientAddress(request);
        AsyncContext async = request.startAsync();
        // Longer than any run may take (compile stage, run, cleanup): the engine ends every run by itself.
        Duration limit = context.engine
                .limits()
                .timeout()
                .plus(context.engine.limits().compileTimeout())
                .plusSeconds(60);
        async.setTimeout(limit.toMillis());
        CompletableFuture<ExecOutcome> future = context.engine.exec(exec.request(), clientKey);
        var answered = new AtomicBoolean();
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {}

            @Override
            public void onTimeout(AsyncEvent event) throws IOException {
                future.cancel(false);
                if (answered.compareAndSet(false, true)) {
                    error((HttpServletResponse) event.getAsyncContext().getResponse(), origin, 500, "internal error");
                    event.getAsyncContext().complete();
                }
            }

            @Override
            public void onError(AsyncEvent event) {
                // The client went away before its answer: cancelling kills the run, as a WebSocket close does.
                future.cancel(false);
            }

            @Override
            public void onStartAsync(AsyncEvent event) {}
        });
        future.whenComplete((outcome, failure) -> {
            if (future.isCancelled() || !answered.compareAndSet(false, true)) {
                return;
            }
            try {
                var out = (HttpServletResponse) async.getResponse();
                if (outcome != null) {
                    ExecOutcome.RestAnswer answer = outcome.restAnswer(context.restResponses);
                    json(out, origin, answer.status(), answer.utf8Body());
                } else {
                    log.error("engine exec failed unexpectedly", failure);
                    error(out, origin, 500, "internal error");
                }
            } catch (IOException | RuntimeException e) {
                log.debug("could not answer POST /v1/exec: {}", e.toString());
            } finally {
                async.complete();
            }
        });
    }

    /** The body as UTF-8, or null when it is larger than {@code api.maxbodysize}. */
    private @Nullable String readBody(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > context.maxBodyBytes) {
            return null;
        }
        var out = new ByteArrayOutputStream((int) Math.max(0, Math.min(declared, 64 * 1024)));
        byte[] buffer = new byte[8192];
        try (InputStream in = request.getInputStream()) {
            int read;
            while ((read = in.read(buffer)) != -1) {
                if (out.size() + read > context.maxBodyBytes) {
                    return null;
                }
                out.write(buffer, 0, read);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private void upgrade(HttpServletRequest request, HttpServletResponse response, @Nullable String origin)
            throws IOException, ServletException {
        boolean isUpgrade = "GET".equals(request.getMethod())
                && headerHasToken(request, "Connection", "upgrade")
                && headerHasToken(request, "Upgrade", "websocket");
        if (!isUpgrade) {
            error(response, origin, 400, "expected a WebSocket upgrade request");
            return;
        }
        if (!context.access.authorized(request.getHeader("Authorization"), request.getParameter("token"))) {
            unauthorized(response, origin);
            return;
        }
        if (!context.access.webSocketOriginAllowed(origin)) {
            log.info("refused a WebSocket upgrade from origin {} ({})", origin, request.getRemoteAddr());
            error(response, origin, 403, "origin not allowed");
            return;
        }
        String clientKey = clientAddress(request);
        if (!context.webSocketsPerClient.tryAcquire(clientKey)) {
            error(response, origin, 429, "too many connections from this address");
            return;
        }
        var released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                context.webSocketsPerClient.release(clientKey);
            }
        };
        var container = (ServerContainer) request.getServletContext().getAttribute(ServerContainer.class.getName());
        if (container == null) {
            release.run();
            error(response, origin, 500, "the servlet container has no WebSocket support");
            return;
        }
        ServerEndpointConfig config = ServerEndpointConfig.Builder.create(
                        RannaEndpoint.class, request.getServletPath() + "/ws")
                .configurator(new ServerEndpointConfig.Configurator() {
                    @Override
                    public <T> T getEndpointInstance(Class<T> endpointClass) {
                        return endpointClass.cast(new RannaEndpoint(context, clientKey, release));
                    }

                    @Override
                    public boolean checkOrigin(String originHeaderValue) {
                        return true; // checked above, by ranna's rules
                    }
                })
                .build();
        try {
            container.upgradeHttpToWebSocket(request, response, config, Collections.emptyMap());
        } catch (DeploymentException | RuntimeException e) {
            release.run();
            throw new ServletException("WebSocket upgrade failed", e);
        }
        if (response.getStatus() != HttpServletResponse.SC_SWITCHING_PROTOCOLS) {
            release.run();
        }
    }

    private static boolean headerHasToken(HttpServletRequest request, String name, String token) {
        for (String value : Collections.list(request.getHeaders(name))) {
            for (String part : value.split(",")) {
                if (part.trim().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void preflight(HttpServletRequest request, HttpServletResponse response, @Nullable String origin)
            throws IOException {
        if (origin == null || request.getHeader("Access-Control-Request-Method") == null) {
            response.setHeader("Allow", ALLOWED_METHODS);
            empty(response, origin, 204);
            return;
        }
        if (context.access.corsAllowOrigin(origin) == null) {
            error(response, origin, 403, "origin not allowed");
            return;
        }
        String requested = request.getHeader("Access-Control-Request-Headers");
        response.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
        response.setHeader(
                "Access-Control-Allow-Headers",
                requested == null || requested.isBlank() ? DEFAULT_ALLOWED_HEADERS : requested);
        response.setHeader("Access-Control-Max-Age", "600");
        response.addHeader("Vary", "Access-Control-Request-Headers");
        empty(response, origin, 204);
    }

    private boolean requireMethod(HttpServletResponse response, @Nullable String origin, String actual, String expected)
            throws IOException {
        if (expected.equals(actual)) {
            return true;
        }
        response.setHeader("Allow", expected + ", OPTIONS");
        error(response, origin, 405, "method not allowed: use " + expected);
        return false;
    }

    private boolean requireToken(HttpServletRequest request, HttpServletResponse response, @Nullable String origin)
            throws IOException {
        if (context.access.authorized(request.getHeader("Authorization"), null)) {
            return true;
        }
        unauthorized(response, origin);
        return false;
    }

    private void unauthorized(HttpServletResponse response, @Nullable String origin) throws IOException {
        response.setHeader("WWW-Authenticate", "Bearer realm=\"ranna\"");
        error(response, origin, 401, "unauthorized");
    }

    private String clientAddress(HttpServletRequest request) {
        InetSocketAddress peer;
        try {
            peer = new InetSocketAddress(InetAddress.getByName(request.getRemoteAddr()), request.getRemotePort());
        } catch (IOException e) {
            peer = InetSocketAddress.createUnresolved(request.getRemoteAddr(), request.getRemotePort());
        }
        List<String> forwarded = Collections.list(request.getHeaders("X-Forwarded-For"));
        return context.proxies.clientAddress(peer, forwarded);
    }

    private void error(HttpServletResponse response, @Nullable String origin, int code, String message)
            throws IOException {
        // Never 408 over HTTP: browsers silently re-send a request answered 408 on a reused connection.
        int status = code == 408 ? 400 : code;
        json(response, origin, status, context.restResponses.encode(new ErrorResponse(message, code)));
    }

    private void json(HttpServletResponse response, @Nullable String origin, int status, String body)
            throws IOException {
        cors(response, origin);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType(JSON);
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    /** A body that is already UTF-8 (a run's answer, its output escaped on bytes), written as it is. */
    private void json(HttpServletResponse response, @Nullable String origin, int status, Utf8Text body)
            throws IOException {
        cors(response, origin);
        response.setStatus(status);
        response.setContentType(JSON);
        response.setContentLength(body.byteLength());
        body.read(response.getOutputStream()::write);
    }

    private void empty(HttpServletResponse response, @Nullable String origin, int status) {
        cors(response, origin);
        response.setStatus(status);
        response.setContentLength(0);
    }

    private void cors(HttpServletResponse response, @Nullable String origin) {
        String allow = context.access.corsAllowOrigin(origin);
        if (allow != null) {
            response.setHeader("Access-Control-Allow-Origin", allow);
        }
        if (context.access.corsVaries()) {
            response.addHeader("Vary", "Origin");
        }
    }
}
