package dev.ranna.bench;

import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.Utf8Text;
import dev.ranna.protocol.json.EventEncoder;
import dev.ranna.protocol.json.OperationDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * A stand-in server that only replays: to each EXEC it answers SPAWN, then the same pre-encoded LOG frame
 * (stdout, {@code chunk} bytes of {@code a}) as fast as the connection takes it, until {@code bytes} are sent,
 * then STOP. Nothing is encoded, read from a pipe or run per LOG, so a client connected to it runs as fast as
 * it can decode: the streaming scenario's client measured alone, over the same loopback. Writes follow the
 * channel's writability, so the replay holds at most Netty's high-water mark of frames.
 */
final class ReplaySource implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final long bytes;
    private final int chunk;

    private ReplaySource(long bytes, int chunk) throws InterruptedException {
        this.bytes = bytes;
        this.chunk = chunk;
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(64 * 1024))
                                .addLast(new WebSocketServerProtocolHandler("/v1/ws", null, false, 16 * 1024 * 1024))
                                .addLast(new Replay());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    /** Starts a source on a loopback port that replays {@code bytes} of output per EXEC in LOGs of {@code chunk}. */
    static ReplaySource start(long bytes, int chunk) throws InterruptedException {
        return new ReplaySource(bytes, chunk);
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private static ByteBuf encode(Event event) {
        ByteBuf buf = Unpooled.buffer(EventEncoder.sizeHint(event));
        try {
            EventEncoder.create().encode(event, new ByteBufOutputStream(buf));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf;
    }

    /** One connection: one run at a time, as the scenario sends them. */
    private final class Replay extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        private ByteBuf log = Unpooled.EMPTY_BUFFER;
        private Event.Stop stop;
        private long left;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
            DecodeResult decoded = OperationDecoder.create().decode(frame.text());
            if (!(decoded instanceof DecodeResult.Success)) {
                return;
            }
            Operation op = ((DecodeResult.Success) decoded).operation();
            if (!(op instanceof Operation.Exec)) {
                return;
            }
            Nonce nonce = op.nonce();
            RunId runId = RunId.random();
            byte[] output = new byte[chunk];
            Arrays.fill(output, (byte) 'a');
            log.release();
            log = encode(new Event.Log(nonce, runId, StdStream.STDOUT, Utf8Text.copyOf(output, 0, chunk), null));
            stop = new Event.Stop(nonce, runId, RunResult.exited(1, 0));
            left = bytes;
            ctx.writeAndFlush(new TextWebSocketFrame(encode(new Event.Spawn(nonce, runId))));
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx);
            ctx.fireChannelWritabilityChanged();
        }

        private void pump(ChannelHandlerContext ctx) {
            if (left <= 0) {
                return;
            }
            while (left > 0 && ctx.channel().isWritable()) {
                ctx.write(new TextWebSocketFrame(log.retainedDuplicate()));
                left -= chunk;
            }
            if (left <= 0) {
                ctx.write(new TextWebSocketFrame(encode(stop)));
            }
            ctx.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            log.release();
            log = Unpooled.EMPTY_BUFFER;
            ctx.fireChannelInactive();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully().syncUninterruptibly();
    }
}
