package dev.ranna.netty.internal;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * Netty's aggregator, answering an oversized request body in ranna's error shape (413, JSON, CORS
 * headers) instead of Netty's bare 413, then closing: the rest of the body would be read as garbage.
 */
final class BoundedHttpObjectAggregator extends HttpObjectAggregator {
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
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
