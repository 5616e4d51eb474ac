package dev.ranna.bench.jmh;

import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.json.ClientCodec;
import dev.ranna.protocol.json.EventEncoder;
import dev.ranna.protocol.json.OperationDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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

/** The protocol codecs: what the server encodes per LOG/STOP and decodes per EXEC, and a client's decode. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CodecBench {

    /** {@code ascii}: plain letters; {@code escapes}: quotes, backslashes, newlines, tabs and non-ASCII. */
    @Param({"ascii", "escapes"})
    public String content;

    private final EventEncoder events = EventEncoder.create();
    private final OperationDecoder operations = OperationDecoder.create();
    private final ClientCodec client = ClientCodec.create();
    private final RunId runId = RunId.random();
    private Event.Log small;
    private Event.Log log16k;
    private Event.Stop stop;
    private String log16kJson;
    private char[] log16kChars;
    private long logChars;
    private final ClientCodec.LogHandler counter = this::countLog;
    private String execJson;
    private final ByteArrayOutputStream frame = new ByteArrayOutputStream(32 * 1024);

    @Setup
    public void setUp() {
        String unit = content.equals("ascii") ? "abcdefghijklmnop" : "say \"hi\"\\\n\tü👋 ";
        var text = new StringBuilder();
        while (text.length() < 16 * 1024) {
            text.append(unit);
        }
        text.setLength(16 * 1024);
        if (Character.isHighSurrogate(text.charAt(text.length() - 1))) {
            text.setCharAt(text.length() - 1, 'x');
        }
        small = new Event.Log(Nonce.of(42), runId, StdStream.STDOUT, "hello\n");
        log16k = new Event.Log(Nonce.of(42), runId, StdStream.STDOUT, text.toString());
        stop = new Event.Stop(Nonce.of(42), runId, RunResult.exited(12, 0));
        log16kJson = events.encode(log16k);
        log16kChars = log16kJson.toCharArray();
        execJson = client.encode(new Operation.Exec(
                Nonce.of(42),
                ExecutionRequest.of(
                        "python3", content.equals("ascii") ? "print('hello world')" : "print(\"héllo\\n\\t👋\")")));
    }

    @Benchmark
    public String encodeLogSmall() {
        return events.encode(small);
    }

    @Benchmark
    public String encodeLog16k() {
        return events.encode(log16k);
    }

    /** What the transport did per LOG before: the String encoding, then its UTF-8 bytes. */
    @Benchmark
    public byte[] encodeLog16kViaString() {
        return events.encode(log16k).getBytes(StandardCharsets.UTF_8);
    }

    /** What the transport does per LOG: the UTF-8 bytes written straight to a (reused) buffer. */
    @Benchmark
    public int encodeLog16kUtf8() throws IOException {
        frame.reset();
        events.encode(log16k, frame);
        return frame.size();
    }

    @Benchmark
    public String encodeStop() {
        return events.encode(stop);
    }

    @Benchmark
    public DecodeResult decodeExec() {
        return operations.decode(execJson);
    }

    @Benchmark
    public Event decodeLog16k() {
        return client.decodeEvent(log16kJson);
    }

    /** A bulk client's LOG path: the streaming decode, the text handed over as chars (no tree, no String). */
    @Benchmark
    public long decodeLog16kStreaming() {
        client.decodeEvent(log16kChars, 0, log16kChars.length, counter);
        return logChars;
    }

    private void countLog(Nonce nonce, RunId runId, StdStream stream, char[] text, int offset, int length) {
        logChars += length;
    }
}
