package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The pipe between the stdin pump and docker-java's attach: order, end, backpressure, abort. */
class InputPipeTest {

    @Test
    void bytesArriveInOrderThenTheEndOnceAfterClose() throws Exception {
        var ends = new AtomicInteger();
        var pipe = new InputPipe(ends::incrementAndGet);
        OutputStream out = pipe.sink();
        InputStream in = pipe.source();
        out.write("hello ".getBytes());
        out.write('w');
        out.write("orld".getBytes());
        out.close();
        assertThat(in.readAllBytes()).isEqualTo("hello world".getBytes());
        assertThat(in.read()).isEqualTo(-1);
        assertThat(ends).hasValue(1);
    }

    @Test
    void aWriterBlocksWhileThePipeIsFullAndGoesOnAsItDrains() throws Exception {
        var pipe = new InputPipe(() -> {});
        OutputStream out = pipe.sink();
        InputStream in = pipe.source();
        byte[] big = new byte[InputPipe.CAPACITY * 3];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                out.write(big);
                out.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        DockerTestSupport.await(
                Duration.ofSeconds(5), "the writer blocks on a full pipe", () -> pipe.buffered() == InputPipe.CAPACITY);
        assertThat(writer).isNotDone();
        assertThat(in.readAllBytes()).isEqualTo(big);
        writer.get(5, TimeUnit.SECONDS);
    }

    @Test
    void abortEndsTheReaderAndFailsABlockedWriter() throws Exception {
        var ends = new AtomicInteger();
        var pipe = new InputPipe(ends::incrementAndGet);
        OutputStream out = pipe.sink();
        CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
            try {
                out.write(new byte[InputPipe.CAPACITY + 1]);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        pipe.abort();
        assertThat(writer.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
        assertThat(pipe.source().read(new byte[8], 0, 8)).isEqualTo(-1);
        assertThat(ends).hasValue(1);
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class);
    }
}
