package dev.ranna.netty.internal;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Whether a connection is read from: it is, unless at least one reason to pause holds. Reasons are
 * independent (the outbound buffer is over its high-water mark; an HTTP request is being answered), so
 * one cannot resume reading that another paused.
 *
 * <p>One per channel; used on the channel's event loop only.
 */
final class ReadGate {
    /** The channel's outbound buffer is above its high-water mark. */
    static final int UNWRITABLE = 1;

    /** An HTTP answer is on its way to the socket; the next request is read once it is there. */
    static final int HTTP_BUSY = 2;

    /** An HTTP request waits for the one being worked on; no more are read until it is passed on. */
    static final int HTTP_QUEUED = 4;

    private static final AttributeKey<ReadGate> KEY = AttributeKey.valueOf("ranna.readGate");

    private final Channel channel;
    private int reasons;

    private ReadGate(Channel channel) {
        this.channel = channel;
    }

    static ReadGate of(Channel channel) {
        ReadGate gate = channel.attr(KEY).get();
        if (gate == null) {
            gate = new ReadGate(channel);
            channel.attr(KEY).set(gate);
        }
        return gate;
    }

    void pause(int reason) {
        int before = reasons;
        reasons |= reason;
        if (before == 0) {
            channel.config().setAutoRead(false);
        }
    }

    void resume(int reason) {
        if ((reasons & reason) == 0) {
            return;
        }
        reasons &= ~reason;
        if (reasons == 0) {
            channel.config().setAutoRead(true);
        }
    }

    boolean paused(int reason) {
        return (reasons & reason) != 0;
    }
}
