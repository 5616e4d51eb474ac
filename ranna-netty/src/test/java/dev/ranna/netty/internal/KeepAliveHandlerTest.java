package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.netty.ServerOptions;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KeepAliveHandlerTest {
    private final ServerOptions options = ServerOptions.builder()
            .handshakeTimeout(Duration.ofSeconds(10))
            .idleTimeout(Duration.ofSeconds(60))
            .pingInterval(Duration.ofSeconds(30))
            .pongTimeout(Duration.ofSeconds(20))
            .build();
    private final KeepAliveHandler handler = new KeepAliveHandler(options);
    private final EmbeddedChannel channel = new EmbeddedChannel();

    KeepAliveHandlerTest() {
        channel.freezeTime();
        channel.pipeline().addLast(handler);
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private void advance(int seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
    }

    private static FullHttpRequest request() {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/healthz", Unpooled.EMPTY_BUFFER);
    }

    private void toWebSocket() {
        channel.writeInbound(request());
        ((FullHttpRequest) channel.readInbound()).release();
        handler.webSocketEstablished(channel.pipeline().context(handler));
    }

    @Test
    void aConnectionThatSendsNoRequestIsClosedAfterTheHandshakeTimeout() {
        advance(9);
        assertThat(channel.isOpen()).isTrue();

        advance(2);

        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedButNotWhileARequestIsInFlight() {
        channel.writeInbound(request());
        ((FullHttpRequest) channel.readInbound()).release();

        advance(120);
        assertThat(channel.isOpen()).as("request in flight").isTrue();

        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        advance(59);
        assertThat(channel.isOpen()).isTrue();
        advance(2);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aQuietWebSocketIsPingedAndKeptOpenWhileItAnswers() {
        toWebSocket();

        for (int round = 0; round < 5; round++) {
            advance(30);
            PingWebSocketFrame ping = channel.readOutbound();
            assertThat(ping).as("ping in round " + round).isNotNull();
            ping.release();
            advance(10);
            channel.writeInbound(new PongWebSocketFrame());
            ((PongWebSocketFrame) channel.readInbound()).release();
        }

        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void aWebSocketThatSendsMessagesIsNotPinged() {
        toWebSocket();

        for (int i = 0; i < 10; i++) {
            advance(20);
            channel.writeInbound(new TextWebSocketFrame("{}"));
            ((TextWebSocketFrame) channel.readInbound()).release();
        }

        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void aWebSocketThatStopsAnsweringIsClosed() {
        toWebSocket();

        advance(30);
        ((PingWebSocketFrame) channel.readOutbound()).release();
        advance(19);
        assertThat(channel.isOpen()).isTrue();
        advance(2);

        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(1001);
        close.release();
        assertThat(channel.isOpen()).isFalse();
    }
}
