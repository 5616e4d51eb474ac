package dev.ranna.netty.internal;

import dev.ranna.protocol.json.EventEncoder;
import dev.ranna.protocol.json.OperationDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.WriteTimeoutHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of one connection, in Netty's WebSocket example order:
 *
 * <pre>
 * WriteTimeoutHandler -> BackpressureHandler -> HttpServerCodec -> BoundedHttpObjectAggregator
 *   -> KeepAliveHandler -> HttpPipeliningHandler -> HttpApiHandler
 *   -> WebSocketServerProtocolHandler("/v1/ws") -> WebSocketFrameAggregator -> RannaFrameCodec
 *   -> RannaSessionHandler
 * </pre>
 *
 * After the upgrade Netty replaces the HTTP codec and aggregator with its frame encoder and decoder, and
 * the pipelining handler steps aside. A connection over a connection cap gets a fixed 503 answer and is
 * closed before any of this is built.
 */
public final class RannaChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final String OVER_CAPACITY_BODY = "{\"error\":\"too many connections\",\"code\":503}";
    private static final ByteBuf OVER_CAPACITY = Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(
                    "HTTP/1.1 503 Service Unavailable\r\n"
                            + "Content-Type: application/json; charset=utf-8\r\n"
                            + "Retry-After: 5\r\n"
                            + "Connection: close\r\n"
                            + "Content-Length: " + OVER_CAPACITY_BODY.length() + "\r\n\r\n"
                            + OVER_CAPACITY_BODY,
                    StandardCharsets.US_ASCII)
            .asReadOnly());

    private final ServerContext context;
    private final ChannelGroup allChannels;
    private final RannaFrameCodec frameCodec;
    private final WebSocketServerProtocolConfig webSocketConfig;

    public RannaChannelInitializer(ServerContext context, ChannelGroup allChannels) {
        this.context = context;
        this.allChannels = allChannels;
        this.frameCodec = new RannaFrameCodec(OperationDecoder.create(), EventEncoder.create());
        int maxMessage = context.options().maxMessageBytes();
        this.webSocketConfig = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(HttpApiHandler.WEBSOCKET_PATH)
                // "/v1/ws?token=..." must match too.
                .checkStartsWith(true)
                .handshakeTimeoutMillis(context.options().handshakeTimeout().toMillis())
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(maxMessage)
                        .allowExtensions(false)
                        .closeOnProtocolViolation(true)
                        .withUTF8Validator(true)
                        .build())
                .build();
    }

    /** The listening channel's handler: accept failures (EMFILE) pause accepting for half a second. */
    public static io.netty.channel.ChannelHandler acceptBackoff() {
        return new AcceptBackoffHandler(java.time.Duration.ofMillis(500));
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        if (context.admit(channel) != null) {
            // Nothing is read from it: a fixed answer (clients read it as the answer to whatever they
            // send), then the close. Netty's own buffers, so this costs no allocation per refusal.
            channel.writeAndFlush(OVER_CAPACITY.duplicate()).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        allChannels.add(channel);
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(
                "write-timeout",
                new WriteTimeoutHandler(context.options().writeTimeout().toMillis(), TimeUnit.MILLISECONDS));
        pipeline.addLast("backpressure", BackpressureHandler.INSTANCE);
        pipeline.addLast("http-codec", new HttpServerCodec());
        pipeline.addLast("http-aggregator", new BoundedHttpObjectAggregator(context));
        pipeline.addLast("keep-alive", new KeepAliveHandler(context.options()));
        pipeline.addLast("http-pipelining", new HttpPipeliningHandler());
        pipeline.addLast("http-api", new HttpApiHandler(context));
        pipeline.addLast("ws-protocol", new WebSocketServerProtocolHandler(webSocketConfig));
        pipeline.addLast(
                "ws-aggregator", new WebSocketFrameAggregator(context.options().maxMessageBytes()));
        pipeline.addLast("ranna-codec", frameCodec);
        pipeline.addLast("ranna-session", new RannaSessionHandler(context));
    }
}
