package dev.ranna.bench;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.Utf8Text;
import dev.ranna.protocol.json.ClientCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The streaming scenario's fast client on bytes: Netty's WebSocket client (frames arrive as bytes; no
 * transport decodes them to chars) and a LOG decoder on bytes. Every text message is checked to be
 * well-formed UTF-8; a LOG in the exact form ranna's server writes ({@code {"code":3,"nonce":N,"data":
 * {"runid":"hex","stdout":"...","stage"?}}}, to the last byte) has its stdout counted and every byte checked
 * to be the expected one where it lies in the frame, without a copy; anything else (an escape in the text, a
 * field in another order, any other event) is decoded whole by {@link ClientCodec#decodeEvent(String)}.
 *
 * <p>One run at a time; {@link #streamOnce} blocks until its STOP.
 */
final class ByteWsClient implements AutoCloseable {
    private static final ClientCodec CODEC = ClientCodec.create();
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] PREFIX = ascii("{\"code\":3,\"nonce\":");
    private static final byte[] RUNID = ascii(",\"data\":{\"runid\":\"");
    private static final byte[] STDOUT = ascii("\",\"stdout\":\"");
    private static final byte[] END = ascii("\"}}");
    private static final byte[] STAGE_RUN = ascii("\",\"stage\":\"run\"}}");

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    private final CompletableFuture<Void> handshake = new CompletableFuture<>();
    private long nextNonce = 1;
    // Touched by the event loop only while a run is on.
    private volatile @Nullable Run run;

    /** One EXEC as this client saw it. */
    static final class Run {
        final long nonce;
        final int expect;
        final long sentNanos = System.nanoTime();
        long stdoutBytes;
        long unexpectedBytes;
        long slowLogs;
        volatile @Nullable String error;
        volatile long stopNanos;
        final CompletableFuture<Event.Stop> stop = new CompletableFuture<>();

        Run(long nonce, int expect) {
            this.nonce = nonce;
            this.expect = expect;
        }
    }

    private ByteWsClient(int port) throws Exception {
        URI uri = URI.create("ws://127.0.0.1:" + port + "/v1/ws");
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .maxFramePayloadLength(16 * 1024 * 1024)
                // Checked below on the whole message, eight ASCII bytes at a time, instead of byte by byte.
                .withUTF8Validator(false)
                .build();
        channel = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                // Heap buffers: the LOG check reads the message's array in place.
                .option(ChannelOption.ALLOCATOR, new PooledByteBufAllocator(false))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new HttpClientCodec())
                                .addLast(new HttpObjectAggregator(64 * 1024))
                                .addLast(new WebSocketClientProtocolHandler(config))
                                .addLast(new WebSocketFrameAggregator(16 * 1024 * 1024))
                                .addLast(new Receiver());
                    }
                })
                .connect("127.0.0.1", port)
                .sync()
                .channel();
        handshake.get(30, TimeUnit.SECONDS);
    }

    static ByteWsClient connect(int port) throws Exception {
        return new ByteWsClient(port);
    }

    /** Runs {@code code} and waits for its STOP; every stdout byte must be {@code expect}. */
    Run exec(String code, int expect) {
        var r = new Run(nextNonce++, expect);
        run = r;
        var exec = new Operation.Exec(Nonce.of(r.nonce), ExecutionRequest.of(BenchServer.LANGUAGE, code));
        channel.writeAndFlush(new TextWebSocketFrame(CODEC.encode(exec)));
        return r;
    }

    private final class Receiver extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                handshake.complete(null);
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            handshake.completeExceptionally(cause);
            Run r = run;
            if (r != null) {
                r.stop.completeExceptionally(cause);
            }
            ctx.close();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
            Run r = run;
            ByteBuf content = frame.content();
            byte[] bytes;
            int offset;
            int length = content.readableBytes();
            if (content.hasArray()) {
                bytes = content.array();
                offset = content.arrayOffset() + content.readerIndex();
            } else {
                bytes = new byte[length];
                content.getBytes(content.readerIndex(), bytes);
                offset = 0;
            }
            if (Utf8Text.wellFormedLength(bytes, offset, length) != length) {
                fail(r, "a text message that is not well-formed UTF-8");
                return;
            }
            if (r != null && fastLog(r, bytes, offset, length)) {
                return;
            }
            Event event = CODEC.decodeEvent(new String(bytes, offset, length, StandardCharsets.UTF_8));
            if (r == null) {
                return;
            }
            switch (event.eventCode()) {
                case LOG: {
                    r.slowLogs++;
                    var log = (Event.Log) event;
                    if (log.stream() == dev.ranna.protocol.StdStream.STDOUT) {
                        String text = log.text();
                        r.stdoutBytes += log.output().byteLength();
                        for (int i = 0; i < text.length(); i++) {
                            if (text.charAt(i) != r.expect) {
                                r.unexpectedBytes++;
                            }
                        }
                    }
                    break;
                }
                case ERROR:
                    r.error = ((Event.Error) event).code() + " " + ((Event.Error) event).message();
                    break;
                case STOP:
                    r.stopNanos = System.nanoTime();
                    r.stop.complete((Event.Stop) event);
                    break;
                case SPAWN:
                case PONG:
                    break;
            }
        }
    }

    private static void fail(@Nullable Run r, String why) {
        if (r != null) {
            r.error = why;
            r.stop.completeExceptionally(new IllegalStateException(why));
        }
    }

    /**
     * A stdout LOG of this run in the server's exact form, its text without escapes: counted and checked in
     * place. False, having counted nothing, for anything else.
     */
    private static boolean fastLog(Run r, byte[] b, int offset, int length) {
        int end = offset + length;
        int i = match(b, offset, end, PREFIX);
        if (i < 0) {
            return false;
        }
        long nonce = 0;
        int digits = 0;
        while (i < end && b[i] >= '0' && b[i] <= '9' && digits < 18) {
            nonce = nonce * 10 + (b[i++] - '0');
            digits++;
        }
        if (digits == 0 || nonce != r.nonce || (digits > 1 && b[i - digits] == '0')) {
            return false;
        }
        i = match(b, i, end, RUNID);
        if (i < 0) {
            return false;
        }
        int idStart = i;
        while (i < end && ((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'f'))) {
            i++;
        }
        if (i == idStart) {
            return false;
        }
        i = match(b, i, end, STDOUT);
        if (i < 0) {
            return false;
        }
        int textStart = i;
        int textEnd = -1;
        long expect = 0x0101010101010101L * (r.expect & 0xFF);
        long unexpected = 0;
        while (textEnd < 0 && i < end) {
            if (i + 8 <= end) {
                long word = (long) LONGS.get(b, i);
                if (word == expect) {
                    i += 8; // eight of the expected byte: nothing to escape, nothing unexpected
                    continue;
                }
            }
            int stop = Math.min(end, i + 8);
            for (; i < stop; i++) {
                int c = b[i];
                if (c == '"') {
                    textEnd = i;
                    break;
                }
                if (c == '\\' || (c >= 0 && c < 0x20)) {
                    return false; // an escape: Jackson unescapes it
                }
                if (c != r.expect) {
                    unexpected++;
                }
            }
        }
        if (textEnd < 0) {
            return false;
        }
        // The rest must be exactly the end of the message, with or without the run stage.
        if (!(match(b, textEnd, end, END) == end || match(b, textEnd, end, STAGE_RUN) == end)) {
            return false;
        }
        r.stdoutBytes += textEnd - textStart;
        r.unexpectedBytes += unexpected;
        return true;
    }

    /** The index after {@code token} if it starts at {@code i}, else -1. */
    private static int match(byte[] b, int i, int end, byte[] token) {
        if (end - i < token.length) {
            return -1;
        }
        for (int k = 0; k < token.length; k++) {
            if (b[i + k] != token[k]) {
                return -1;
            }
        }
        return i + token.length;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
