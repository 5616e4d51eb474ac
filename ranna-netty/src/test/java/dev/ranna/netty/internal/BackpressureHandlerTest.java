package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class BackpressureHandlerTest {

    @Test
    void aConnectionIsNotReadWhileItsOutboundBufferIsOverTheHighWaterMark() {
        var channel = new EmbeddedChannel(BackpressureHandler.INSTANCE);
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));

        channel.write(Unpooled.wrappedBuffer(new byte[32]));
        assertThat(channel.isWritable()).isFalse();
        assertThat(channel.config().isAutoRead()).as("paused while unwritable").isFalse();

        channel.flush();
        assertThat(channel.isWritable()).isTrue();
        assertThat(channel.config().isAutoRead()).as("resumed once drained").isTrue();
        ((ByteBuf) channel.readOutbound()).release();
        channel.finishAndReleaseAll();
    }

    @Test
    void readingResumesOnlyWhenNoReasonToPauseIsLeft() {
        var channel = new EmbeddedChannel(BackpressureHandler.INSTANCE);
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        ReadGate gate = ReadGate.of(channel);

        gate.pause(ReadGate.HTTP_BUSY);
        channel.write(Unpooled.wrappedBuffer(new byte[32]));
        channel.flush();
        assertThat(channel.isWritable()).isTrue();
        assertThat(channel.config().isAutoRead())
                .as("writable again, but a request is still being answered")
                .isFalse();

        gate.resume(ReadGate.HTTP_BUSY);
        assertThat(channel.config().isAutoRead()).isTrue();
        channel.finishAndReleaseAll();
    }
}
