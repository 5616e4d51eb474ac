package dev.ranna.netty.internal;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

/**
 * The pipeline of one connection, in Netty's WebSocket example order:
 *
 * <pre>
 * HttpServerCodec -> BoundedHttpObjectAggregator -> KeepAliveHandler -> HttpApiHandler
 *   -> WebSocketServerProtocolHandler("/v1/ws") -> WebSocketFrameAggregator -> RannaFrameCodec
 *   -> RannaSessionHandler
 * </pre>
 *
 * After the upgrade Netty replaces the HTTP codec and aggregator with its frame encoder and decoder.
 */
public final class RannaChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final ServerContext context;
    private final ChannelGroup allChannels;
    private final RannaFrameCodec frameCodec;
    private final WebSocketServerProtocolConfig webSocketConfig;

    public RannaChannelInitializer(ServerContext context, ChannelGroup allChannels) {
        this.context = context;
        this.allChannels = allChannels;
        this.frameCodec = new RannaFrameCodec(context.codec());
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

    @Override
    protected void initChannel(SocketChannel channel) {
        allChannels.add(channel);
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast("http-codec", new HttpServerCodec());
        pipeline.addLast("http-aggregator", new BoundedHttpObjectAggregator(context));
        pipeline.addLast("keep-alive", new KeepAliveHandler(context.options()));
        pipeline.addLast("http-api", new HttpApiHandler(context));
        pipeline.addLast("ws-protocol", new WebSocketServerProtocolHandler(webSocketConfig));
        pipeline.addLast(
                "ws-aggregator", new WebSocketFrameAggregator(context.options().maxMessageBytes()));
        pipeline.addLast("ranna-codec", frameCodec);
        pipeline.addLast("ranna-session", new RannaSessionHandler(context));
    }
}
