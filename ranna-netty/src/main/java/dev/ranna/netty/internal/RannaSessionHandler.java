package dev.ranna.netty.internal;

import dev.ranna.engine.EngineSession;
import dev.ranna.protocol.DecodeResult;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.WriteTimeoutException;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine session per WebSocket connection: opened when the handshake completes, fed every decoded
 * message, told the channel's writability on every change (the engine's only backpressure signal),
 * closed (killing its runs) when the channel goes inactive.
 *
 * <p>One per channel, not sharable; runs on the channel's event loop and never blocks ({@link
 * EngineSession#handle} returns at once).
 */
public final class RannaSessionHandler extends SimpleChannelInboundHandler<DecodeResult> {
    private static final Logger log = LoggerFactory.getLogger(RannaSessionHandler.class);

    private final ServerContext context;
    private @Nullable EngineSession session;
    private boolean closed;

    public RannaSessionHandler(ServerContext context) {
        super(DecodeResult.class);
        this.context = context;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            KeepAliveHandler keepAlive = ctx.pipeline().get(KeepAliveHandler.class);
            if (keepAlive != null) {
                ChannelHandlerContext keepAliveContext = ctx.pipeline().context(keepAlive);
                keepAlive.webSocketEstablished(keepAliveContext);
            }
            context.webSockets().add(ctx.channel());
            session(ctx);
        } else if (evt == WebSocketServerProtocolHandler.ServerHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            log.debug("WebSocket handshake timed out on {}", ctx.channel());
            ctx.close();
        }
        super.userEventTriggered(ctx, evt);
    }

    private @Nullable EngineSession session(ChannelHandlerContext ctx) {
        if (session == null && !closed) {
            try {
                session = context.engine()
                        .openSession(new ChannelEventSink(ctx.channel()), ServerContext.clientKey(ctx.channel()));
                if (!ctx.channel().isWritable()) {
                    session.writabilityChanged(false);
                }
            } catch (IllegalStateException e) {
                // The engine is closed: the server is going down.
                closed = true;
                ctx.writeAndFlush(new CloseWebSocketFrame(
                                WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "server shutting down"))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }
        return session;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DecodeResult message) {
        EngineSession current = session(ctx);
        if (current != null) {
            current.handle(message);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        EngineSession current = session;
        if (current != null) {
            current.writabilityChanged(ctx.channel().isWritable());
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closed = true;
        EngineSession current = session;
        session = null;
        if (current != null) {
            current.close();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            // The frame aggregator saw a fragmented message grow past the limit.
            closeWith(ctx, WebSocketCloseStatus.MESSAGE_TOO_BIG, "message too big");
        } else if (cause instanceof CorruptedWebSocketFrameException) {
            // Netty's frame decoder has already sent its close frame (1009 for an oversized frame, 1002 or
            // 1007 for a protocol violation).
            log.debug("WebSocket protocol violation on {}: {}", ctx.channel(), cause.getMessage());
            ctx.close();
        } else if (cause instanceof WriteTimeoutException) {
            // Its events have not reached the socket for api.writetimeoutseconds: a client that stopped
            // reading. WriteTimeoutHandler closes the channel, and closing the session kills its runs.
            log.debug("WebSocket {} stopped reading; closed", ctx.channel());
            ctx.close();
        } else if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            // The client went away (mid-message, for the aggregator's exception): its doing, not ours, so
            // no warning with a stack trace that any client could repeat at will.
            log.debug("WebSocket {} failed: {}", ctx.channel(), cause.toString());
            ctx.close();
        } else {
            log.warn("WebSocket {} failed", ctx.channel(), cause);
            closeWith(ctx, WebSocketCloseStatus.INTERNAL_SERVER_ERROR, "internal error");
        }
    }

    private static void closeWith(ChannelHandlerContext ctx, WebSocketCloseStatus status, String reason) {
        if (ctx.channel().isActive()) {
            ctx.channel()
                    .writeAndFlush(new CloseWebSocketFrame(status, reason))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }
}
