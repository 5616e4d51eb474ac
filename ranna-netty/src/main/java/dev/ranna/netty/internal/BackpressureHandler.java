package dev.ranna.netty.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Read-side backpressure for every connection, HTTP or WebSocket, whatever it sends: while the outbound
 * buffer is above its high-water mark the connection is not read from, so a client that sends requests
 * and never reads the answers stops being read instead of making the server buffer answers without
 * bound. Reading resumes when the buffer drains below the low-water mark.
 *
 * <p>Sharable and stateless; the state is the channel's {@link ReadGate}.
 */
@ChannelHandler.Sharable
final class BackpressureHandler extends ChannelInboundHandlerAdapter {
    static final BackpressureHandler INSTANCE = new BackpressureHandler();

    private BackpressureHandler() {}

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        ReadGate gate = ReadGate.of(ctx.channel());
        if (ctx.channel().isWritable()) {
            gate.resume(ReadGate.UNWRITABLE);
        } else {
            gate.pause(ReadGate.UNWRITABLE);
        }
        super.channelWritabilityChanged(ctx);
    }
}
