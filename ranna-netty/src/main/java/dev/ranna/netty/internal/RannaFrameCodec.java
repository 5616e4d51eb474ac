package dev.ranna.netty.internal;

import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.json.EventEncoder;
import dev.ranna.protocol.json.OperationDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.util.List;

/**
 * Whole WebSocket messages to protocol values and back: a text message becomes a {@link DecodeResult}
 * (never an exception, whatever the client sent), a binary message a failure {@code 400 "invalid message
 * type"}, and an {@link Event} a text frame. Other frames pass through untouched.
 *
 * <p>Stateless and {@link ChannelHandler.Sharable}.
 */
@ChannelHandler.Sharable
public final class RannaFrameCodec extends MessageToMessageCodec<WebSocketFrame, Event> {
    static final String INVALID_MESSAGE_TYPE = "invalid message type";

    private final OperationDecoder operations;
    private final EventEncoder events;

    public RannaFrameCodec(OperationDecoder operations, EventEncoder events) {
        super(WebSocketFrame.class, Event.class);
        this.operations = operations;
        this.events = events;
    }

    /**
     * Writes the event's JSON as UTF-8 straight into a pooled buffer: no intermediate {@code String} and
     * no second encoding pass (the bytes are the same as the UTF-8 of {@link EventEncoder#encode(Event)}). A
     * LOG's output goes in as the program's bytes, escaped where JSON needs it and otherwise copied in runs;
     * the buffer is sized for it unescaped, so it is allocated once for ordinary output.
     */
    @Override
    protected void encode(ChannelHandlerContext ctx, Event event, List<Object> out) throws IOException {
        ByteBuf buf = ctx.alloc().buffer(EventEncoder.sizeHint(event));
        boolean done = false;
        try {
            events.encode(event, new ByteBufOutputStream(buf));
            out.add(new TextWebSocketFrame(buf));
            done = true;
        } finally {
            if (!done) {
                buf.release();
            }
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (frame instanceof TextWebSocketFrame) {
            out.add(operations.decode(((TextWebSocketFrame) frame).text()));
        } else if (frame instanceof BinaryWebSocketFrame) {
            out.add(DecodeResult.Failure.badRequest(Nonce.NONE, INVALID_MESSAGE_TYPE));
        } else {
            out.add(frame.retain());
        }
    }
}
