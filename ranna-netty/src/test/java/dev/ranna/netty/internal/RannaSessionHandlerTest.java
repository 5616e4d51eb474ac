package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.json.EventEncoder;
import dev.ranna.protocol.json.OperationDecoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The frame codec and the session handler together, as they sit at the end of the pipeline. */
class RannaSessionHandlerTest {
    private final FakeEngine engine = new FakeEngine();
    private final ServerContext context = TestContexts.context(engine, ServerOptions.DEFAULTS);
    private final EmbeddedChannel channel = TestContexts.channelFrom(
            "192.0.2.10",
            new RannaFrameCodec(OperationDecoder.create(), EventEncoder.create()),
            new RannaSessionHandler(context));

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private FakeEngine.FakeSession handshake() {
        channel.attr(ServerContext.CLIENT_KEY).set("203.0.113.1");
        channel.pipeline()
                .fireUserEventTriggered(
                        new WebSocketServerProtocolHandler.HandshakeComplete("/v1/ws", new DefaultHttpHeaders(), null));
        assertThat(engine.sessions).hasSize(1);
        return engine.sessions.get(0);
    }

    @Test
    void handshakeOpensOneSessionKeyedByTheClientAddress() {
        FakeEngine.FakeSession session = handshake();

        assertThat(session.clientKey).isEqualTo("203.0.113.1");
        assertThat(context.webSockets().contains(channel)).isTrue();
    }

    @Test
    void textFramesAreDecodedAndHandedToTheSession() {
        FakeEngine.FakeSession session = handshake();

        channel.writeInbound(new TextWebSocketFrame("{\"op\":0,\"nonce\":7,\"args\":null}"));
        channel.writeInbound(
                new TextWebSocketFrame("{\"op\":1,\"nonce\":\"a\",\"args\":{\"language\":\"sh\",\"code\":\"echo\"}}"));

        assertThat(session.handled).hasSize(2);
        assertThat(session.handled.get(0)).isEqualTo(new DecodeResult.Success(new Operation.Ping(Nonce.of(7))));
        assertThat(((DecodeResult.Success) session.handled.get(1)).operation()).isInstanceOf(Operation.Exec.class);
    }

    @Test
    void interactiveOperationsAreDecodedAndHandedToTheSession() {
        FakeEngine.FakeSession session = handshake();
        RunId run = new RunId("2a4d3e48e67995e1a7726d79344c96b8");

        channel.writeInbound(new TextWebSocketFrame(
                "{\"op\":3,\"nonce\":1,\"args\":{\"runid\":\"" + run.value() + "\",\"data\":\"x\\n\",\"eof\":true}}"));
        channel.writeInbound(new TextWebSocketFrame(
                "{\"op\":4,\"nonce\":2,\"args\":{\"runid\":\"" + run.value() + "\",\"signal\":\"SIGINT\"}}"));
        channel.writeInbound(new TextWebSocketFrame(
                "{\"op\":5,\"nonce\":3,\"args\":{\"runid\":\"" + run.value() + "\",\"cols\":100,\"rows\":30}}"));
        channel.writeInbound(new TextWebSocketFrame(
                "{\"op\":5,\"nonce\":4,\"args\":{\"runid\":\"" + run.value() + "\",\"cols\":0,\"rows\":30}}"));

        assertThat(session.handled)
                .containsExactly(
                        new DecodeResult.Success(new Operation.Stdin(Nonce.of(1), run, "x\n", true)),
                        new DecodeResult.Success(new Operation.Signal(Nonce.of(2), run, ProgramSignal.SIGINT)),
                        new DecodeResult.Success(new Operation.Resize(Nonce.of(3), run, 100, 30)),
                        DecodeResult.Failure.badRequest(Nonce.of(4), "args.cols: must be between 1 and 1000"));
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void malformedJsonBecomesAFailureForTheSessionToAnswer() {
        FakeEngine.FakeSession session = handshake();

        channel.writeInbound(new TextWebSocketFrame("{\"op\":"));
        channel.writeInbound(new TextWebSocketFrame("[1,2]"));

        assertThat(session.handled).allSatisfy(result -> {
            assertThat(result).isInstanceOf(DecodeResult.Failure.class);
            assertThat(((DecodeResult.Failure) result).code()).isEqualTo(400);
            assertThat(((DecodeResult.Failure) result).message()).startsWith("invalid message");
        });
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void binaryFramesAreAnInvalidMessageTypeAndTheConnectionStays() {
        FakeEngine.FakeSession session = handshake();

        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));

        assertThat(session.handled)
                .containsExactly(DecodeResult.Failure.badRequest(Nonce.NONE, "invalid message type"));
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void eventsSentThroughTheSinkAreWrittenAsTextFramesInOrder() {
        FakeEngine.FakeSession session = handshake();
        RunId run = RunId.random();

        session.sink.send(new Event.Spawn(Nonce.of(1), run));
        session.sink.send(new Event.Log(Nonce.of(1), run, StdStream.STDOUT, "hi\n"));

        TextWebSocketFrame spawn = channel.readOutbound();
        TextWebSocketFrame log = channel.readOutbound();
        assertThat(spawn.text()).isEqualTo("{\"code\":2,\"nonce\":1,\"data\":{\"runid\":\"" + run.value() + "\"}}");
        assertThat(log.text()).contains("\"code\":3").contains("\"stdout\":\"hi\\n\"");
        spawn.release();
        log.release();
    }

    @Test
    void eventFramesCarryExactlyTheUtf8OfTheStringEncoding() {
        FakeEngine.FakeSession session = handshake();
        RunId run = RunId.random();
        String awkward = "👋 ünï \" \\ \u0000 \u2028 " + "a".repeat(40_000) + "😀".repeat(3000) + "\ud800";
        var events = java.util.List.of(
                new Event.Log(Nonce.of("n😀"), run, StdStream.STDOUT, awkward),
                new Event.Log(Nonce.of(2), run, StdStream.STDERR, "x"),
                new Event.Error(Nonce.NONE, 400, "bad \"input\" é"));
        for (Event event : events) {
            session.sink.send(event);
            TextWebSocketFrame frame = channel.readOutbound();
            byte[] bytes = io.netty.buffer.ByteBufUtil.getBytes(frame.content());
            assertThat(bytes)
                    .isEqualTo(EventEncoder.create().encode(event).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            frame.release();
        }
    }

    @Test
    void theChannelsWritabilityIsPushedToTheSessionOnEveryChange() {
        FakeEngine.FakeSession session = handshake();
        channel.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(8, 16));

        // Queued, not flushed: past the high water mark the channel turns unwritable.
        channel.write(io.netty.buffer.Unpooled.wrappedBuffer(new byte[64]));
        assertThat(channel.isWritable()).isFalse();
        assertThat(session.writability).containsExactly(false);

        channel.flush();
        assertThat(channel.isWritable()).isTrue();
        assertThat(session.writability).containsExactly(false, true);
        io.netty.buffer.ByteBuf written = channel.readOutbound();
        written.release();
    }

    @Test
    void closingTheChannelClosesTheSession() {
        FakeEngine.FakeSession session = handshake();

        channel.close();

        assertThat(session.closed).isTrue();
    }

    @Test
    void aClientThatDisconnectsMidMessageIsNotAServerFailure() {
        // Found by ranna-it's hostile protocol suite: a client that sends the first fragment of a message
        // and disconnects made the aggregator raise PrematureChannelClosureException, which was handled as
        // an internal error (a WARN with a stack trace per connection, and a 1011 close attempt).
        FakeEngine.FakeSession session = handshake();

        channel.pipeline()
                .fireExceptionCaught(
                        new PrematureChannelClosureException("Channel closed while still aggregating message"));

        Object written = channel.readOutbound();
        assertThat(written)
                .as("no 1011 close frame for the client's own disconnect")
                .isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(session.closed).isTrue();
    }

    @Test
    void anOversizedFragmentedMessageClosesWith1009() {
        handshake();

        channel.pipeline().fireExceptionCaught(new TooLongFrameException("content length exceeded"));

        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(1009);
        close.release();
        assertThat(channel.isOpen()).isFalse();
    }
}
