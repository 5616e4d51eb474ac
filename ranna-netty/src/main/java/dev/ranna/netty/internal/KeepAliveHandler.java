package dev.ranna.netty.internal;

import dev.ranna.netty.ServerOptions;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection's clock: closes a connection that sends no complete request within the handshake
 * timeout, closes idle HTTP keep-alive connections, and keeps WebSocket connections honest with pings.
 *
 * <p>A WebSocket connection that is quiet but alive is never closed: after {@code pingInterval} without
 * any frame from the client it gets a ping, and only when nothing at all (pong or message) arrives for
 * {@code pongTimeout} after that is it closed (status 1001). Browsers answer pings on their own, so the
 * ranna web app's idle connections stay open.
 *
 * <p>Sits after the HTTP aggregator, so it sees whole requests and, after the upgrade, every frame
 * including pongs (which Netty's protocol handler further on drops). One per channel; all state is
 * touched on the channel's event loop only.
 */
public final class KeepAliveHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(KeepAliveHandler.class);

    enum State {
        AWAITING_REQUEST,
        HTTP,
        WEBSOCKET,
        CLOSED
    }

    private final long handshakeNanos;
    private final long idleNanos;
    private final long pingNanos;
    private final long pongNanos;

    private State state = State.AWAITING_REQUEST;
    private long lastActivity;
    private int inFlight;
    private boolean awaitingPong;
    private long pingSentAt;
    private @Nullable ScheduledFuture<?> timer;

    public KeepAliveHandler(ServerOptions options) {
        this.handshakeNanos = options.handshakeTimeout().toNanos();
        this.idleNanos = options.idleTimeout().toNanos();
        this.pingNanos = options.pingInterval().toNanos();
        this.pongNanos = options.pongTimeout().toNanos();
    }

    /** The event loop's clock, the one its scheduled tasks use (a mock ticker in tests). */
    private static long now(ChannelHandlerContext ctx) {
        EventExecutor executor = ctx.executor();
        if (executor instanceof AbstractScheduledEventExecutor) {
            return ((AbstractScheduledEventExecutor) executor).ticker().nanoTime();
        }
        return System.nanoTime();
    }

    State state() {
        return state;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        if (timer == null && state == State.AWAITING_REQUEST) {
            lastActivity = now(ctx);
            schedule(ctx, handshakeNanos);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        long now = now(ctx);
        lastActivity = now;
        if (msg instanceof FullHttpRequest) {
            if (state == State.AWAITING_REQUEST) {
                state = State.HTTP;
                // The handshake deadline no longer applies; the idle one may be the shorter.
                cancel();
                schedule(ctx, idleNanos);
            }
            inFlight++;
        } else if (msg instanceof WebSocketFrame) {
            awaitingPong = false;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse && state != State.WEBSOCKET) {
            inFlight = Math.max(0, inFlight - 1);
            lastActivity = now(ctx);
        }
        super.write(ctx, msg, promise);
    }

    /** Called when the WebSocket handshake is complete: from now on, pings instead of idle closes. */
    public void webSocketEstablished(ChannelHandlerContext ctx) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.WEBSOCKET;
        lastActivity = now(ctx);
        awaitingPong = false;
        cancel();
        schedule(ctx, pingNanos);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        state = State.CLOSED;
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        timer = ctx.executor().schedule(() -> check(ctx), Math.max(1, delayNanos), TimeUnit.NANOSECONDS);
    }

    /** Runs on the event loop when a deadline may have passed; decides and re-arms. */
    void check(ChannelHandlerContext ctx) {
        timer = null;
        if (!ctx.channel().isActive()) {
            state = State.CLOSED;
            return;
        }
        long now = now(ctx);
        switch (state) {
            case AWAITING_REQUEST:
                if (now - lastActivity >= handshakeNanos) {
                    log.debug("closing {}: no complete request within the handshake timeout", ctx.channel());
                    ctx.close();
                } else {
                    schedule(ctx, lastActivity + handshakeNanos - now);
                }
                return;
            case HTTP:
                if (inFlight > 0) {
                    schedule(ctx, idleNanos);
                } else if (now - lastActivity >= idleNanos) {
                    log.debug("closing idle HTTP connection {}", ctx.channel());
                    ctx.close();
                } else {
                    schedule(ctx, lastActivity + idleNanos - now);
                }
                return;
            case WEBSOCKET:
                checkWebSocket(ctx, now);
                return;
            case CLOSED:
                return;
        }
    }

    private void checkWebSocket(ChannelHandlerContext ctx, long now) {
        if (awaitingPong) {
            if (now - pingSentAt >= pongNanos) {
                log.info("closing WebSocket {}: no answer to a ping", ctx.channel());
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "ping timeout"))
                        .addListener(ChannelFutureListener.CLOSE);
                state = State.CLOSED;
            } else {
                schedule(ctx, pingSentAt + pongNanos - now);
            }
            return;
        }
        if (now - lastActivity >= pingNanos) {
            awaitingPong = true;
            pingSentAt = now;
            ctx.writeAndFlush(new PingWebSocketFrame()).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            schedule(ctx, pongNanos);
        } else {
            schedule(ctx, lastActivity + pingNanos - now);
        }
    }
}
