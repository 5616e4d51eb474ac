package dev.ranna.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the listening channel: when accepting fails (typically {@code EMFILE}, "Too many open files"), stop
 * accepting for a moment instead of retrying at once in a loop that burns the accept thread and starves
 * everything else of descriptors, and log one line per interval with the number of failures, not one
 * stack trace per attempt.
 *
 * <p>One per server channel; runs on its event loop.
 */
final class AcceptBackoffHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AcceptBackoffHandler.class);

    private final long pauseMillis;
    private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));
    private boolean paused;

    AcceptBackoffHandler(Duration pause) {
        this.pauseMillis = Math.max(1, pause.toMillis());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        long suppressed = throttle.tryAcquire();
        if (suppressed >= 0) {
            log.warn(
                    "cannot accept connections: {}; pausing accepts for {} ms{}",
                    cause.getMessage(),
                    pauseMillis,
                    suppressed > 0 ? " (" + suppressed + " more failures since the last report)" : "");
        }
        if (!paused && ctx.channel().config().isAutoRead()) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
            ctx.executor()
                    .schedule(
                            () -> {
                                paused = false;
                                if (ctx.channel().isOpen()) {
                                    ctx.channel().config().setAutoRead(true);
                                }
                            },
                            pauseMillis,
                            TimeUnit.MILLISECONDS);
        }
        // Not passed on: Netty's acceptor would pause too, and its tail would log a warning per failure.
    }
}
