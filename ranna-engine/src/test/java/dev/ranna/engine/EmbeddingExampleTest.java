package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.ScriptedSandbox.Script;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.json.EventEncoder;
import dev.ranna.protocol.json.OperationDecoder;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How an embedder drives the engine from its own transport: here a plain in-memory "connection" that
 * carries JSON text both ways. This is all a server needs besides its sockets.
 */
@Timeout(30)
class EmbeddingExampleTest {

    /** A transport connection: text in, text out. */
    static final class InMemoryConnection implements EventSink, AutoCloseable {
        private static final OperationDecoder OPERATIONS = OperationDecoder.create();
        private static final EventEncoder EVENTS = EventEncoder.create();
        final BlockingQueue<String> outbound = new LinkedBlockingQueue<>();
        private final EngineSession session;

        InMemoryConnection(RannaEngine engine, String clientAddress) {
            this.session = engine.openSession(this, clientAddress);
        }

        /** A text frame from the client. */
        void receive(String text) {
            session.handle(OPERATIONS.decode(text));
        }

        /** An event for the client: encode it and "write" it. */
        @Override
        public void send(Event event) {
            outbound.add(EVENTS.encode(event));
        }

        String nextFrame() throws InterruptedException {
            String frame = outbound.poll(10, TimeUnit.SECONDS);
            assertThat(frame).as("a frame within 10 s").isNotNull();
            return frame;
        }

        @Override
        public void close() {
            session.close();
        }
    }

    @Test
    void aTransportNeedsOnlyTheCodecASessionAndASink() throws Exception {
        var sandbox = new ScriptedSandbox();
        sandbox.enqueue(Script.create().stderr("👋\n").exit(0).elapsed(java.time.Duration.ofMillis(6748)));
        try (RannaEngine engine = RannaEngine.builder()
                        .sandbox(sandbox)
                        .specs(EngineSessionTest.SPECS)
                        .build();
                var connection = new InMemoryConnection(engine, "127.0.0.1")) {
            connection.receive("{\"op\":0,\"nonce\":0}");
            assertThat(connection.nextFrame()).isEqualTo("{\"code\":0,\"nonce\":0,\"data\":\"Pong!\"}");

            connection.receive("not json");
            assertThat(connection.nextFrame())
                    .startsWith("{\"code\":1,\"data\":{\"code\":400,\"message\":\"invalid message: ");

            connection.receive("{\"op\":1,\"nonce\":123,\"args\":{\"language\":\"sh\",\"code\":\"echo\"}}");
            String spawn = connection.nextFrame();
            assertThat(spawn).startsWith("{\"code\":2,\"nonce\":123,\"data\":{\"runid\":\"");
            String runId = spawn.substring(spawn.indexOf("runid\":\"") + 8, spawn.lastIndexOf('"'));
            assertThat(connection.nextFrame())
                    .isEqualTo(
                            "{\"code\":3,\"nonce\":123,\"data\":{\"runid\":\"" + runId + "\",\"stderr\":\"👋\\n\"}}");
            assertThat(connection.nextFrame())
                    .isEqualTo("{\"code\":4,\"nonce\":123,\"data\":{\"runid\":\"" + runId
                            + "\",\"exectimems\":6748,\"exitcode\":0,\"timedout\":false,\"killed\":false,"
                            + "\"truncated\":false}}");
        }
    }
}
