package dev.ranna.bench;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.RunId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The interactive round trip: one line written to a running {@code cat}, timed until the same line came
 * back. Each primitive keeps one {@code cat} running for all its lines, so process start is not in the
 * figures: a host {@code cat} on a pipe, {@code docker run -i} on the same pipe, the process sandbox driven
 * through its SPI in this JVM (a {@link StdinSource} in, an {@code OutputSink} out, no engine, no
 * WebSocket), and the server through the wire contract (see {@link WsClient#stdin}).
 */
final class Interactive {
    /** One round trip of {@code line} (no newline); returns its nanoseconds; throws if the echo is wrong. */
    interface RoundTrip {
        long once(String line) throws Exception;
    }

    private Interactive() {}

    /** Warm-up round trips, then {@code n} timed ones; a failed round trip is an error and not timed. */
    static Stats measure(int warm, int n, RoundTrip roundTrip) {
        var samples = new ArrayList<Long>();
        int errors = 0;
        int failures = 0;
        for (int i = 0; i < warm + n; i++) {
            try {
                long nanos = roundTrip.once("line " + i + " of " + (warm + n));
                if (i >= warm) {
                    samples.add(nanos);
                }
            } catch (Exception e) {
                if (i >= warm) {
                    errors++;
                }
                BenchMain.log("interactive round trip failed: " + e);
                if (++failures == 5) {
                    BenchMain.log("interactive: 5 round trips failed, giving up on this row");
                    break;
                }
            }
        }
        return Stats.of(samples, errors);
    }

    /** A {@code cat} (or anything that echoes lines) on pipes from this JVM. */
    static final class PipeCat implements AutoCloseable {
        private final Process process;
        private final OutputStream in;
        private final BufferedReader out;

        PipeCat(List<String> argv) throws IOException {
            process = new ProcessBuilder(argv)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            in = process.getOutputStream();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        long once(String line) throws IOException {
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            long t0 = System.nanoTime();
            in.write(bytes);
            in.flush();
            String echoed = out.readLine();
            long t1 = System.nanoTime();
            if (!line.equals(echoed)) {
                throw new IOException("cat echoed " + echoed + " for " + line);
            }
            return t1 - t0;
        }

        @Override
        public void close() throws IOException, InterruptedException {
            in.close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** {@code docker run --rm -i} with the Docker sandbox's profile, running {@code cat}. */
    static List<String> dockerCatArgv() {
        var argv = new ArrayList<String>(List.of("docker", "run", "--rm", "-i"));
        argv.addAll(Raw.dockerProfile());
        argv.addAll(List.of(BenchServer.IMAGE, "cat"));
        return argv;
    }

    /** Input handed to the sandbox as the engine would: a queue of writes, then the end. */
    private static final class QueueStdin implements StdinSource {
        private static final byte[] END = new byte[0];
        private final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
        private byte @Nullable [] current;
        private int position;
        private boolean ended;

        void write(byte[] bytes) {
            queue.add(bytes);
        }

        void end() {
            queue.add(END);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws InterruptedException {
            if (ended) {
                return -1;
            }
            byte[] chunk = current;
            if (chunk == null || position == chunk.length) {
                chunk = queue.take();
                if (chunk == END) {
                    ended = true;
                    return -1;
                }
                current = chunk;
                position = 0;
            }
            int n = Math.min(length, chunk.length - position);
            System.arraycopy(chunk, position, buffer, offset, n);
            position += n;
            return n;
        }
    }

    /**
     * Round trips through a sandbox's SPI in this JVM ({@code process} or {@code docker}, configured as the
     * bench server configures it): one {@code cat} run, its input a queue, its output a queue of chunks. Null
     * if the sandbox does not declare {@link Capability#STDIN}.
     */
    static @Nullable Stats spi(String name, int warm, int n) throws Exception {
        SandboxProvider provider = ServiceLoader.load(SandboxProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IOException("sandbox " + name + " is not on the class path"));
        var config = new java.util.LinkedHashMap<String, String>();
        config.put(SandboxConfig.SKIP_STARTUP_PREP, "true");
        LanguageSpec.Builder spec = LanguageSpec.builder("sh", "main.sh").entrypoint("/bin/sh");
        if (name.equals("docker")) {
            config.put("sandbox.docker.images", BenchServer.IMAGE);
            config.put("sandbox.docker.pool.size", "2");
            spec.image(BenchServer.IMAGE);
        }
        try (Sandbox sandbox = provider.create(SandboxConfig.of(config))) {
            if (!sandbox.capabilities().contains(Capability.STDIN)) {
                BenchMain.log("interactive: sandbox " + name + " does not declare STDIN; no SPI row");
                return null;
            }
            return spiCat(sandbox, spec.build(), warm, n);
        }
    }

    private static Stats spiCat(Sandbox sandbox, LanguageSpec spec, int warm, int n) throws Exception {
        {
            var stdin = new QueueStdin();
            var chunks = new LinkedBlockingQueue<String>();
            SandboxRequest request = SandboxRequest.builder(RunId.random(), spec, "exec cat\n")
                    .stdin(stdin)
                    .timeout(Duration.ofMinutes(10))
                    .build();
            Execution execution = sandbox.start(
                    request,
                    (stream, bytes, offset, length) ->
                            chunks.add(new String(bytes, offset, length, StandardCharsets.UTF_8)));
            try {
                var received = new StringBuilder();
                return measure(warm, n, line -> {
                    String expected = line + "\n";
                    long t0 = System.nanoTime();
                    stdin.write(expected.getBytes(StandardCharsets.UTF_8));
                    long t1 = awaitEcho(chunks, received, expected);
                    return t1 - t0;
                });
            } finally {
                stdin.end();
                execution.exit().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Takes chunks from {@code chunks} until {@code received} ends with {@code expected}; returns the time
     * the last chunk was taken. Clears {@code received} for the next round trip.
     */
    static long awaitEcho(BlockingQueue<String> chunks, StringBuilder received, String expected)
            throws IOException, InterruptedException {
        while (true) {
            String chunk = chunks.poll(5, TimeUnit.SECONDS);
            long now = System.nanoTime();
            if (chunk == null) {
                throw new IOException("no echo of " + expected.trim() + " within 5 s; got " + received);
            }
            received.append(chunk);
            if (received.length() >= expected.length()) {
                String got = received.toString();
                received.setLength(0);
                if (!got.equals(expected)) {
                    throw new IOException("echoed " + got + " for " + expected);
                }
                return now;
            }
        }
    }
}
