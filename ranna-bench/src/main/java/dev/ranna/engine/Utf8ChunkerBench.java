package dev.ranna.engine;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@link Utf8Chunker} alone: checking one read of {@code chunk} bytes into the coalescer's buffer. In package {@code dev.ranna.engine}
 * because the chunker is package-private (a split package, acceptable for this bench-only module; it works
 * on the class path, not as named modules). {@code mixed} text has 2- and 4-byte characters, so reads often
 * end inside a character and the carry path runs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class Utf8ChunkerBench {

    @Param({"ascii", "mixed"})
    public String content;

    @Param({"64", "8192"})
    public int chunk;

    private byte[] data;
    private int offset;
    private final Utf8Chunker chunker = new Utf8Chunker();
    private final PendingOutput out = new PendingOutput(16 * 1024);

    @Setup
    public void setUp() {
        String unit = content.equals("ascii") ? "hello world, line of output\n" : "héllo wörld 👋 ünïcödé\n";
        var text = new StringBuilder();
        while (text.length() < (1 << 20)) {
            text.append(unit);
        }
        data = text.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public int decode() {
        if (offset + chunk > data.length) {
            offset = 0;
        }
        out.clear();
        chunker.decode(data, offset, chunk, out);
        offset += chunk;
        return out.size();
    }
}
