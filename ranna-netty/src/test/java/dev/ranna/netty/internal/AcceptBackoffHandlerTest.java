package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AcceptBackoffHandlerTest {

    @Test
    void anAcceptFailurePausesAcceptingForAMomentAndIsNotPassedOn() {
        List<Throwable> passedOn = new ArrayList<>();
        var channel = new EmbeddedChannel(
                new AcceptBackoffHandler(Duration.ofMillis(500)), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        passedOn.add(cause);
                    }
                });
        channel.freezeTime();

        channel.pipeline().fireExceptionCaught(new IOException("Too many open files"));
        channel.pipeline().fireExceptionCaught(new IOException("Too many open files"));

        assertThat(channel.config().isAutoRead()).as("accepting paused").isFalse();
        assertThat(passedOn)
                .as("not passed on to Netty's acceptor and tail, which log each")
                .isEmpty();
        channel.advanceTimeBy(499, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.config().isAutoRead()).isFalse();
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.config().isAutoRead()).as("accepting again").isTrue();
        channel.finishAndReleaseAll();
    }

    @Test
    void otherFailuresArePassedOn() {
        List<Throwable> passedOn = new ArrayList<>();
        var channel = new EmbeddedChannel(
                new AcceptBackoffHandler(Duration.ofMillis(500)), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        passedOn.add(cause);
                    }
                });

        channel.pipeline().fireExceptionCaught(new IllegalStateException("bug"));

        assertThat(passedOn).hasSize(1);
        assertThat(channel.config().isAutoRead()).isTrue();
        channel.finishAndReleaseAll();
    }
}
