package dev.ranna.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Netty's aggregator, answering an oversized request body in ranna's error shape (413, JSON, CORS
 * headers) instead of Netty's bare 413, then closing: the rest of the body would be read as garbage.
 */
final class BoundedHttpObjectAggregator extends HttpObjectAggregator {
    /** How long the rest of an oversized body is read and discarded after the 413, at most. */
    private static final Duration LINGER = Duration.ofSeconds(2);

    private final ServerContext context;

    BoundedHttpObjectAggregator(ServerContext context) {
        super(context.options().maxRequestBytes());
        this.context = context;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        HttpRequest request = (HttpRequest) oversized;
        FullHttpResponse response = HttpResponses.error(
                context,
                413,
                "request body too large: at most " + context.options().maxRequestBytes() + " bytes");
        HttpResponses.cors(context, response, request.headers().get(HttpHeaderNames.ORIGIN));
        HttpResponses.close(response);
        context.countRequest(HttpApiHandler.route(new QueryStringDecoder(request.uri()).path()), 413);
        ctx.writeAndFlush(response).addListener(written -> lingeringClose(ctx, written.isSuccess()));
    }

    /**
     * Closes after the 413 without losing it. The client is typically still sending its body; closing
     * at once with unread bytes makes the kernel answer with a reset, which can destroy the 413 before the
     * client reads it ("header parser received no bytes"). So: half-close (FIN after the answer), let the
     * aggregator discard what still arrives, and close for good when the client does or after a short,
     * fixed grace.
     */
    private static void lingeringClose(ChannelHandlerContext ctx, boolean written) {
        if (!written || !(ctx.channel() instanceof DuplexChannel)) {
            ctx.close();
            return;
        }
        ((DuplexChannel) ctx.channel()).shutdownOutput().addListener(done -> {
            if (!done.isSuccess()) {
                ctx.close();
                return;
            }
            ctx.channel().config().setAutoRead(true);
            ctx.executor().schedule(() -> ctx.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
        });
    }
}
