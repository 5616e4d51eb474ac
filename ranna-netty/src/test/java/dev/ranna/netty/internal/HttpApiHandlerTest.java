package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.ExecOutcome;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.SystemInfo;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpApiHandlerTest {
    private final FakeEngine engine = new FakeEngine();
    private EmbeddedChannel channel;

    private EmbeddedChannel channel(ServerOptions options) {
        return channel("198.51.100.7", options);
    }

    private EmbeddedChannel channel(String peer, ServerOptions options) {
        channel = TestContexts.channelFrom(
                peer, new HttpPipeliningHandler(), new HttpApiHandler(TestContexts.context(engine, options)));
        return channel;
    }

    /** Without the pipelining handler: for tests that pass several upgrade requests on unanswered. */
    private EmbeddedChannel bareChannel(ServerOptions options) {
        channel = TestContexts.channelFrom("198.51.100.7", new HttpApiHandler(TestContexts.context(engine, options)));
        return channel;
    }

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static FullHttpRequest request(HttpMethod method, String uri, String body, String... headers) {
        var request = new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, method, uri, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        request.headers()
                .setInt(HttpHeaderNames.CONTENT_LENGTH, request.content().readableBytes());
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    private FullHttpResponse send(FullHttpRequest request) {
        channel.writeInbound(request);
        channel.runPendingTasks();
        FullHttpResponse response = channel.readOutbound();
        assertThat(response).as("a response").isNotNull();
        return response;
    }

    private static String body(FullHttpResponse response) {
        try {
            return response.content().toString(StandardCharsets.UTF_8);
        } finally {
            response.release();
        }
    }

    @Test
    void specIsServedInFileOrderWithAliases() {
        var entries = new LinkedHashMap<String, SpecEntry>();
        entries.put("python3", FakeEngine.entry("main.py"));
        entries.put("bash", FakeEngine.entry("main.sh"));
        entries.put("py", SpecEntry.alias("python3"));
        engine.specs = new SpecMap(entries);
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response = send(request(HttpMethod.GET, "/v1/spec", ""));

        assertThat(response.status().code()).isEqualTo(200);
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).startsWith("application/json");
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isEqualTo("*");
        String json = body(response);
        assertThat(json.indexOf("\"python3\"")).isLessThan(json.indexOf("\"bash\""));
        assertThat(json.indexOf("\"bash\"")).isLessThan(json.indexOf("\"py\""));
        assertThat(json).contains("\"use\":\"python3\"");
    }

    @Test
    void infoCarriesVersionRuntimeAndSandboxWithExtraDetails() {
        engine.sandbox = new SystemInfo.Sandbox("process", "bubblewrap 0.8.0", Map.of("memory", "cgroup v1"));
        channel(ServerOptions.builder().infoDetails(Map.of("isolation", "none")).build());

        String json = body(send(request(HttpMethod.GET, "/v1/info", "")));

        assertThat(json)
                .contains("\"version\":\"9.9\"")
                .contains("\"builddate\":\"2026-01-01\"")
                .contains("\"go_version\":\"" + Runtime.version() + "\"")
                .contains("\"type\":\"process\"")
                .contains("\"version\":\"bubblewrap 0.8.0\"")
                .contains("\"memory\":\"cgroup v1\"")
                .contains("\"isolation\":\"none\"");
    }

    @Test
    void infoListsTheEnginesFeaturesOnlyWhenThereAreSome() {
        channel(ServerOptions.DEFAULTS);
        assertThat(body(send(request(HttpMethod.GET, "/v1/info", "")))).doesNotContain("features");

        engine.features = List.of("usage");
        assertThat(body(send(request(HttpMethod.GET, "/v1/info", "")))).endsWith(",\"features\":[\"usage\"]}");
    }

    @Test
    void execAnswersWithTheRunsOutputWhenTheEngineCompletes() {
        var future = new CompletableFuture<ExecOutcome>();
        engine.onExec = (request, client) -> future;
        channel(ServerOptions.DEFAULTS);

        channel.writeInbound(
                request(HttpMethod.POST, "/v1/exec?bypass_cache=true", "{\"language\":\"bash\",\"code\":\"echo hi\"}"));
        channel.runPendingTasks();
        assertThat((Object) channel.readOutbound())
                .as("no answer before the run ends")
                .isNull();
        assertThat(channel.config().isAutoRead())
                .as("still read while the run goes on, so a client that leaves is noticed")
                .isTrue();
        assertThat(engine.execs).singleElement().satisfies(call -> {
            assertThat(call.request().language()).isEqualTo("bash");
            assertThat(call.clientKey()).isEqualTo("198.51.100.7");
        });

        future.complete(new ExecOutcome.Completed(new ExecutionResponse("hi\n", "", RunResult.exited(12, 0))));
        channel.runPendingTasks();
        FullHttpResponse response = channel.readOutbound();

        assertThat(response.status().code()).isEqualTo(200);
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isEqualTo("*");
        assertThat(body(response))
                .contains("\"stdout\":\"hi\\n\"")
                .contains("\"exectimems\":12")
                .doesNotContain("from_cache");
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void timedOutExecIsAnswered400NeverTheRetried408() {
        engine.onExec = (request, client) -> CompletableFuture.completedFuture(
                new ExecOutcome.Failed(new ErrorResponse("code execution timed out", 408)));
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response =
                send(request(HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"sleep 99\"}"));

        assertThat(response.status().code()).isEqualTo(400);
        assertThat(body(response)).isEqualTo("{\"error\":\"code execution timed out\",\"code\":400,\"timedout\":true}");
    }

    @Test
    void timedOutRunIsAnswered400WithItsOutputSoFarAndTheStopFields() {
        var run = new dev.ranna.protocol.ExecutionResponse(
                "tick\n", "", new dev.ranna.protocol.RunResult(20_000, null, "SIGKILL", true, false, false));
        engine.onExec = (request, client) -> CompletableFuture.completedFuture(
                new ExecOutcome.Failed(new ErrorResponse("code execution timed out", 408), run));
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response =
                send(request(HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"sleep 99\"}"));

        assertThat(response.status().code()).isEqualTo(400);
        assertThat(body(response))
                .startsWith("{\"error\":\"code execution timed out\",\"code\":400,\"stdout\":\"tick\\n\"")
                .contains("\"exectimems\":20000")
                .contains("\"signal\":\"SIGKILL\"")
                .contains("\"timedout\":true");
    }

    @Test
    void aCompileTimeoutIsAnswered400WithTheCompileObjectNeverThe408() {
        var run = new dev.ranna.protocol.ExecutionResponse(
                "",
                "",
                new dev.ranna.protocol.RunResult(0, null, "SIGKILL", true, false, false)
                        .withStage(dev.ranna.protocol.Stage.COMPILE, 30_000),
                new dev.ranna.protocol.CompileResult("", "slow\n", null, "SIGKILL", 30_000));
        engine.onExec = (request, client) -> CompletableFuture.completedFuture(
                new ExecOutcome.Failed(new ErrorResponse("compilation timed out", 408), run));
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response = send(request(HttpMethod.POST, "/v1/exec", "{\"language\":\"c\",\"code\":\"x\"}"));

        assertThat(response.status().code()).isEqualTo(400);
        assertThat(body(response))
                .startsWith("{\"error\":\"compilation timed out\",\"code\":400,")
                .contains("\"timedout\":true")
                .contains("\"stage\":\"compile\",\"compiletimems\":30000")
                .contains(
                        "\"compile\":{\"stdout\":\"\",\"stderr\":\"slow\\n\",\"signal\":\"SIGKILL\",\"exectimems\":30000}");
    }

    @Test
    void filesAndLimitsOfARestBodyReachTheEngineAndTheirShapeErrorsNameTheField() {
        engine.onExec = (request, client) -> CompletableFuture.completedFuture(
                new ExecOutcome.Completed(new ExecutionResponse("", "", RunResult.exited(1, 0))));
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse ok = send(request(
                HttpMethod.POST,
                "/v1/exec",
                "{\"language\":\"c\",\"code\":\"x\",\"files\":[{\"name\":\"a/b.h\",\"content\":\"AA==\","
                        + "\"encoding\":\"base64\"}],\"limits\":{\"timeoutms\":1000,\"unknown\":-1}}"));
        assertThat(ok.status().code()).isEqualTo(200);
        assertThat(engine.execs).singleElement().satisfies(call -> {
            assertThat(call.request().files()).containsExactly(dev.ranna.protocol.ProjectFile.base64("a/b.h", "AA=="));
            assertThat(call.request().limits().timeoutMs()).isEqualTo(1000L);
        });

        FullHttpResponse bad = send(request(
                HttpMethod.POST, "/v1/exec", "{\"language\":\"c\",\"code\":\"x\",\"limits\":{\"memorybytes\":0}}"));
        assertThat(bad.status().code()).isEqualTo(400);
        assertThat(body(bad)).isEqualTo("{\"error\":\"limits.memorybytes: must be a positive integer\",\"code\":400}");
    }

    @Test
    void execIsCancelledWhenItsConnectionClosesBeforeTheAnswer() {
        var future = new CompletableFuture<ExecOutcome>();
        engine.onExec = (request, client) -> future;
        channel(ServerOptions.DEFAULTS);

        channel.writeInbound(request(HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"sleep 99\"}"));
        channel.runPendingTasks();
        assertThat(future).isNotDone();
        channel.close();
        channel.runPendingTasks();

        assertThat(future).isCancelled();
        assertThat((Object) channel.readOutbound()).isNull();
    }

    @Test
    void aFinishedExecIsNotCancelledByALaterClose() {
        engine.onExec = (request, client) -> CompletableFuture.completedFuture(
                new ExecOutcome.Completed(new ExecutionResponse("hi\n", "", RunResult.exited(1, 0))));
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response =
                send(request(HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"echo hi\"}"));
        response.release();
        channel.close();

        assertThat(engine.execs).hasSize(1);
        assertThat(channel.closeFuture().isDone()).isTrue();
    }

    @Test
    void pipelinedRequestsAreAnsweredOneAtATimeInOrder() {
        var future = new CompletableFuture<ExecOutcome>();
        engine.onExec = (request, client) -> future;
        channel(ServerOptions.DEFAULTS);

        channel.writeInbound(
                request(HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"echo hi\"}"),
                request(HttpMethod.GET, "/healthz", ""),
                request(HttpMethod.GET, "/nope", ""));
        channel.runPendingTasks();
        assertThat((Object) channel.readOutbound())
                .as("nothing before the first answer")
                .isNull();
        assertThat(channel.config().isAutoRead())
                .as("not read further while requests wait behind the run")
                .isFalse();

        future.complete(new ExecOutcome.Completed(new ExecutionResponse("hi\n", "", RunResult.exited(1, 0))));
        channel.runPendingTasks();

        FullHttpResponse first = channel.readOutbound();
        FullHttpResponse second = channel.readOutbound();
        FullHttpResponse third = channel.readOutbound();
        assertThat(body(first)).contains("\"stdout\":\"hi\\n\"");
        assertThat(body(second)).contains("\"status\":\"ok\"");
        assertThat(third.status().code()).isEqualTo(404);
        third.release();
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void moreThanSixteenRequestsPipelinedBehindOneInFlightCloseTheConnection() {
        engine.onExec = (request, client) -> new CompletableFuture<>();
        channel(ServerOptions.DEFAULTS);

        channel.writeInbound(request(HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"x\"}"));
        for (int i = 0; i < HttpPipeliningHandler.MAX_PENDING; i++) {
            channel.writeInbound(request(HttpMethod.GET, "/healthz", ""));
        }
        assertThat(channel.isOpen())
                .as("open with %d waiting", HttpPipeliningHandler.MAX_PENDING)
                .isTrue();
        channel.writeInbound(request(HttpMethod.GET, "/healthz", ""));

        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void metricsNeedATokenWhenTokensAreSet() {
        channel(ServerOptions.builder().tokens(Set.of("s3cret")).build());
        FullHttpResponse refused = send(request(HttpMethod.GET, "/metrics", ""));
        assertThat(refused.status().code()).isEqualTo(401);
        refused.release();

        FullHttpResponse served = send(request(HttpMethod.GET, "/metrics", "", "Authorization", "Bearer s3cret"));
        assertThat(served.status().code()).isEqualTo(200);
        assertThat(body(served)).contains("# metrics");
    }

    @Test
    void execFailureIsTheErrorBodyWithItsCodeAsStatus() {
        engine.onExec = (request, client) -> CompletableFuture.completedFuture(
                new ExecOutcome.Failed(new ErrorResponse("output limit exceeded", 413)));
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response =
                send(request(HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"x\"}"));

        assertThat(response.status().code()).isEqualTo(413);
        assertThat(body(response)).isEqualTo("{\"error\":\"output limit exceeded\",\"code\":413}");
    }

    @Test
    void execPassesStdinAndTtyToTheEngineButRefusesInteractive() {
        engine.onExec = (request, client) -> CompletableFuture.completedFuture(
                new ExecOutcome.Completed(new ExecutionResponse("in", "", RunResult.exited(1, 0))));
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse ok = send(request(
                HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"cat\",\"stdin\":\"in\",\"tty\":true}"));
        assertThat(ok.status().code()).isEqualTo(200);
        assertThat(engine.execs).singleElement().satisfies(call -> {
            assertThat(call.request().stdin()).isEqualTo("in");
            assertThat(call.request().tty()).isTrue();
            assertThat(call.request().interactive()).isFalse();
        });

        FullHttpResponse refused = send(
                request(HttpMethod.POST, "/v1/exec", "{\"language\":\"bash\",\"code\":\"cat\",\"interactive\":true}"));
        assertThat(refused.status().code()).isEqualTo(400);
        assertThat(body(refused)).isEqualTo("{\"error\":\"interactive runs need the WebSocket API\",\"code\":400}");
        assertThat(engine.execs).hasSize(1);
    }

    @Test
    void malformedExecBodyIs400InRannasErrorShapeWithCors() {
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response = send(request(HttpMethod.POST, "/v1/exec", "{not json", "Origin", "https://app"));

        assertThat(response.status().code()).isEqualTo(400);
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isEqualTo("*");
        assertThat(body(response))
                .startsWith("{\"error\":\"invalid request body")
                .endsWith(",\"code\":400}");
        assertThat(engine.execs).isEmpty();
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() {
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse notFound = send(request(HttpMethod.GET, "/v2/nothing", ""));
        assertThat(notFound.status().code()).isEqualTo(404);
        assertThat(body(notFound)).isEqualTo("{\"error\":\"not found\",\"code\":404}");

        FullHttpResponse wrongMethod = send(request(HttpMethod.GET, "/v1/exec", ""));
        assertThat(wrongMethod.status().code()).isEqualTo(405);
        assertThat(wrongMethod.headers().get(HttpHeaderNames.ALLOW)).contains("POST");
        wrongMethod.release();
    }

    @Test
    void preflightEchoesRequestedHeadersForAnyOriginByDefault() {
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response = send(request(
                HttpMethod.OPTIONS,
                "/v1/exec",
                "",
                "Origin",
                "https://ranna.example",
                "Access-Control-Request-Method",
                "POST",
                "Access-Control-Request-Headers",
                "content-type,x-custom"));

        assertThat(response.status().code()).isEqualTo(204);
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isEqualTo("*");
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS))
                .isEqualTo("content-type,x-custom");
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS))
                .contains("GET", "POST");
        response.release();
    }

    @Test
    void corsAllowListEchoesListedOriginsOnly() {
        channel(ServerOptions.builder()
                .corsAllowedOrigins(List.of("https://ranna.example"))
                .build());

        FullHttpResponse listed = send(request(
                HttpMethod.OPTIONS,
                "/v1/spec",
                "",
                "Origin",
                "https://ranna.example",
                "Access-Control-Request-Method",
                "GET"));
        assertThat(listed.status().code()).isEqualTo(204);
        assertThat(listed.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isEqualTo("https://ranna.example");
        assertThat(listed.headers().getAll(HttpHeaderNames.VARY)).contains("origin");
        listed.release();

        FullHttpResponse other = send(request(
                HttpMethod.OPTIONS,
                "/v1/spec",
                "",
                "Origin",
                "https://evil.example",
                "Access-Control-Request-Method",
                "GET"));
        assertThat(other.status().code()).isEqualTo(403);
        assertThat(other.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isFalse();
        other.release();

        FullHttpResponse get = send(request(HttpMethod.GET, "/v1/spec", "", "Origin", "https://evil.example"));
        assertThat(get.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isFalse();
        get.release();
    }

    @Test
    void tokensGuardRestButNotHealthOrPreflight() {
        channel(ServerOptions.builder().tokens(Set.of("s3cret")).build());

        FullHttpResponse missing = send(request(HttpMethod.GET, "/v1/spec", "", "Origin", "https://app"));
        assertThat(missing.status().code()).isEqualTo(401);
        assertThat(missing.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).startsWith("Bearer");
        assertThat(missing.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isEqualTo("*");
        assertThat(body(missing)).isEqualTo("{\"error\":\"unauthorized\",\"code\":401}");

        FullHttpResponse wrong = send(request(HttpMethod.GET, "/v1/spec", "", "Authorization", "Bearer nope"));
        assertThat(wrong.status().code()).isEqualTo(401);
        wrong.release();

        FullHttpResponse queryOnRest = send(request(HttpMethod.GET, "/v1/spec?token=s3cret", ""));
        assertThat(queryOnRest.status().code()).as("REST takes the header only").isEqualTo(401);
        queryOnRest.release();

        FullHttpResponse good = send(request(HttpMethod.GET, "/v1/spec", "", "Authorization", "bearer s3cret"));
        assertThat(good.status().code()).isEqualTo(200);
        good.release();

        FullHttpResponse health = send(request(HttpMethod.GET, "/healthz", ""));
        assertThat(health.status().code()).isEqualTo(200);
        health.release();

        FullHttpResponse preflight = send(request(
                HttpMethod.OPTIONS, "/v1/exec", "", "Origin", "https://app", "Access-Control-Request-Method", "POST"));
        assertThat(preflight.status().code()).isEqualTo(204);
        preflight.release();
    }

    @Test
    void webSocketUpgradeNeedsTokenByHeaderOrQuery() {
        bareChannel(ServerOptions.builder().tokens(Set.of("s3cret")).build());

        FullHttpResponse refused = send(upgrade("/v1/ws"));
        assertThat(refused.status().code()).isEqualTo(401);
        refused.release();

        channel.writeInbound(upgrade("/v1/ws?token=s3cret"));
        FullHttpRequest forwarded = channel.readInbound();
        assertThat(forwarded).as("accepted upgrade passed on to the handshake").isNotNull();
        forwarded.release();

        FullHttpRequest withHeader = upgrade("/v1/ws");
        withHeader.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer s3cret");
        channel.writeInbound(withHeader);
        FullHttpRequest forwardedToo = channel.readInbound();
        assertThat(forwardedToo).isNotNull();
        forwardedToo.release();
    }

    @Test
    void plainGetOnTheWebSocketPathIs400() {
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response = send(request(HttpMethod.GET, "/v1/ws", ""));

        assertThat(response.status().code()).isEqualTo(400);
        assertThat(body(response)).contains("WebSocket upgrade");
    }

    @Test
    void webSocketOriginAllowListAndLoopbackOnlyMode() {
        bareChannel(ServerOptions.builder().loopbackOriginsOnly(true).build());

        FullHttpRequest foreign = upgrade("/v1/ws");
        foreign.headers().set(HttpHeaderNames.ORIGIN, "https://evil.example");
        FullHttpResponse refused = send(foreign);
        assertThat(refused.status().code()).isEqualTo(403);
        refused.release();

        for (String origin : List.of("http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:5173")) {
            FullHttpRequest local = upgrade("/v1/ws");
            local.headers().set(HttpHeaderNames.ORIGIN, origin);
            channel.writeInbound(local);
            FullHttpRequest forwarded = channel.readInbound();
            assertThat(forwarded).as(origin).isNotNull();
            forwarded.release();
        }

        channel.writeInbound(upgrade("/v1/ws"));
        FullHttpRequest noOrigin = channel.readInbound();
        assertThat(noOrigin).as("non-browser clients send no Origin").isNotNull();
        noOrigin.release();
    }

    @Test
    void loopbackOnlyModeRefusesRestFromForeignOriginsEvenWithoutPreflight() {
        engine.onExec = (request, client) -> new CompletableFuture<>();
        channel(ServerOptions.builder().loopbackOriginsOnly(true).build());

        FullHttpResponse foreign = send(request(
                HttpMethod.POST,
                "/v1/exec",
                "{\"language\":\"sh\",\"code\":\"x\"}",
                "Origin",
                "https://evil.example",
                "Content-Type",
                "text/plain"));
        assertThat(foreign.status().code()).isEqualTo(403);
        assertThat(foreign.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isFalse();
        foreign.release();
        assertThat(engine.execs).isEmpty();

        FullHttpResponse local = send(request(HttpMethod.GET, "/v1/spec", "", "Origin", "http://localhost:3000"));
        assertThat(local.status().code()).isEqualTo(200);
        assertThat(local.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .isEqualTo("http://localhost:3000");
        local.release();
    }

    @Test
    void connectionsPerClientAreLimitedAndFreedOnClose() {
        var options = ServerOptions.builder().maxConnectionsPerClient(1).build();
        ServerContext context = TestContexts.context(engine, options);
        EmbeddedChannel first = TestContexts.channelFrom("203.0.113.5", new HttpApiHandler(context));
        EmbeddedChannel second = TestContexts.channelFrom("203.0.113.5", new HttpApiHandler(context));

        first.writeInbound(upgrade("/v1/ws"));
        ((FullHttpRequest) first.readInbound()).release();
        assertThat(context.limiter().count("203.0.113.5")).isEqualTo(1);

        second.writeInbound(upgrade("/v1/ws"));
        FullHttpResponse refused = second.readOutbound();
        assertThat(refused.status().code()).isEqualTo(429);
        refused.release();

        first.close();
        assertThat(context.limiter().count("203.0.113.5")).isZero();
        second.finishAndReleaseAll();
        first.finishAndReleaseAll();
    }

    @Test
    void forwardedForIsBelievedOnlyFromTrustedProxies() {
        engine.onExec = (request, client) -> new CompletableFuture<>();
        String body = "{\"language\":\"bash\",\"code\":\"x\"}";

        channel(
                "10.0.0.2",
                ServerOptions.builder().trustedProxies(List.of("10.0.0.0/8")).build());
        channel.writeInbound(request(HttpMethod.POST, "/v1/exec", body, "X-Forwarded-For", "203.0.113.9, 10.0.0.3"));
        channel.finishAndReleaseAll();

        channel(
                "192.0.2.1",
                ServerOptions.builder().trustedProxies(List.of("10.0.0.0/8")).build());
        channel.writeInbound(request(HttpMethod.POST, "/v1/exec", body, "X-Forwarded-For", "203.0.113.9"));

        assertThat(engine.execs).extracting(FakeEngine.ExecCall::clientKey).containsExactly("203.0.113.9", "192.0.2.1");
    }

    @Test
    void healthFailsDuringShutdown() {
        ServerContext context = TestContexts.context(engine, ServerOptions.DEFAULTS);
        channel = TestContexts.channelFrom("127.0.0.1", new HttpApiHandler(context));
        context.beginShutdown();

        FullHttpResponse response = send(request(HttpMethod.GET, "/healthz", ""));

        assertThat(response.status().code()).isEqualTo(503);
        response.release();
    }

    @Test
    void metricsServesPrometheusText() {
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response = send(request(HttpMethod.GET, "/metrics", ""));

        assertThat(response.status().code()).isEqualTo(200);
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).startsWith("text/plain; version=0.0.4");
        assertThat(body(response)).isEqualTo("# metrics\n");
    }

    @Test
    void connectionCloseIsHonoured() {
        channel(ServerOptions.DEFAULTS);

        FullHttpResponse response = send(request(HttpMethod.GET, "/healthz", "", "Connection", "close"));

        assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        response.release();
        assertThat(channel.isOpen()).isFalse();
    }

    private static FullHttpRequest upgrade(String uri) {
        return request(
                HttpMethod.GET,
                uri,
                "",
                "Connection",
                "Upgrade",
                "Upgrade",
                "websocket",
                "Sec-WebSocket-Version",
                "13",
                "Sec-WebSocket-Key",
                "dGhlIHNhbXBsZSBub25jZQ==");
    }
}
