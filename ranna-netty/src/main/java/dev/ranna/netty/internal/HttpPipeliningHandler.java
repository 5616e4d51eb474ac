package dev.ranna.netty.internal;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP requests are answered one at a time: the next request is passed on only when the answer to the
 * previous one is on the socket, and while an answer waits for the socket the connection is not read
 * from. A client that pipelines requests and never reads the answers therefore holds at most one answer
 * in the server's memory.
 *
 * <p>While a request is being worked on ({@code POST /v1/exec} runs a program) the connection is still
 * read, so that a client that goes away is noticed at once and its run killed. A request that arrives
 * meanwhile waits here, and reading pauses until it is passed on, so a connection holds at most the
 * request being worked on and what one read decoded. Those are at most {@link #MAX_PENDING}; a client
 * that pipelines more in one go is closed (HTTP lets a server close a connection; a client re-sends what
 * was not answered). Browsers do not pipeline at all.
 *
 * <p>One per channel; event loop only.
 */
final class HttpPipeliningHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(HttpPipeliningHandler.class);

    /** Requests waiting for the one being answered. */
    static final int MAX_PENDING = 16;

    private final ArrayDeque<FullHttpRequest> pending = new ArrayDeque<>();
    private boolean busy;
    private boolean overflowed;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!(msg instanceof FullHttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!busy) {
            dispatch(ctx, (FullHttpRequest) msg);
            return;
        }
        if (overflowed || pending.size() >= MAX_PENDING) {
            ReferenceCountUtil.release(msg);
            if (!overflowed) {
                overflowed = true;
                log.debug("closing {}: more than {} pipelined HTTP requests", ctx.channel(), MAX_PENDING);
                ctx.close();
            }
            return;
        }
        pending.add((FullHttpRequest) msg);
        ReadGate.of(ctx.channel()).pause(ReadGate.HTTP_QUEUED);
    }

    private void dispatch(ChannelHandlerContext ctx, FullHttpRequest request) {
        busy = true;
        ctx.fireChannelRead(request);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof LastHttpContent) {
            // The whole answer has been handed over (every answer here is a FullHttpResponse): the next
            // request may go on once it is on the socket.
            boolean switching =
                    msg instanceof HttpResponse && ((HttpResponse) msg).status().code() == 101;
            ChannelPromise written = promise.unvoid();
            // Not read from until the answer is on the socket: a client that does not read its answers
            // stops being read instead of queueing requests.
            ReadGate.of(ctx.channel()).pause(ReadGate.HTTP_BUSY);
            written.addListener(future -> {
                if (future.isSuccess()) {
                    answered(ctx, switching);
                }
            });
            ctx.write(msg, written);
            return;
        }
        ctx.write(msg, promise);
    }

    private void answered(ChannelHandlerContext ctx, boolean switching) {
        ReadGate.of(ctx.channel()).resume(ReadGate.HTTP_BUSY);
        if (!busy) {
            return;
        }
        busy = false;
        if (switching) {
            // A WebSocket now: whatever was pipelined after the upgrade request is not HTTP to answer.
            releasePending();
            ReadGate.of(ctx.channel()).resume(ReadGate.HTTP_QUEUED);
            if (ctx.pipeline().context(this) != null) {
                ctx.pipeline().remove(this);
            }
            return;
        }
        FullHttpRequest next = pending.poll();
        if (pending.isEmpty()) {
            ReadGate.of(ctx.channel()).resume(ReadGate.HTTP_QUEUED);
        }
        if (next != null) {
            dispatch(ctx, next);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releasePending();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePending();
    }

    private void releasePending() {
        FullHttpRequest request;
        while ((request = pending.poll()) != null) {
            request.release();
        }
    }
}
