package dev.ranna.netty.internal;

import dev.ranna.engine.EventSink;
import dev.ranna.protocol.Event;
import io.netty.channel.Channel;

/**
 * The engine's view of one WebSocket connection. {@link #send} writes through {@link
 * Channel#writeAndFlush}, so the event enters the pipeline at its tail and passes the frame codec's
 * encoder; from a non-event-loop thread Netty queues the write, in call order, so it never blocks.
 * Backpressure does not pass through here: {@link RannaSessionHandler} pushes the channel's writability
 * to the session.
 */
final class ChannelEventSink implements EventSink {
    private final Channel channel;

    ChannelEventSink(Channel channel) {
        this.channel = channel;
    }

    @Override
    public void send(Event event) {
        if (channel.isActive()) {
            // A failed write means the client went away; the session is closed by channelInactive.
            channel.writeAndFlush(event);
        }
    }
}
