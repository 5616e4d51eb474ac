package dev.ranna.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunResult;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connection's routing, ends and flow control, against a fake at the socket layer: a {@link WebSocket}
 * that records what is sent and how many messages were requested, with the server's messages handed to the
 * connection's listener by the test, as the JDK would.
 */
class RannaConnectionTest {
    private static final ExecutionRequest SH = ExecutionRequest.of("sh", "echo hi");
    private static final Pattern NONCE = Pattern.compile("\"nonce\":(\\d+)");

    private FakeSocket socket;
    private RannaConnection connection;
    private WebSocket.Listener listener;

    @BeforeEach
    void open() {
        open(4, 1000);
    }

    private void open(int window, int maxChars) {
        socket = new FakeSocket();
        connection = new RannaConnection(window, maxChars);
        listener = connection.listener();
        listener.onOpen(socket);
    }

    /** The server's answer, as one whole text message. */
    private void server(String json) {
        listener.onText(socket, json, true);
    }

    private static long nonceOf(String sent) {
        Matcher m = NONCE.matcher(sent);
        assertThat(m.find()).as("nonce in %s", sent).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static String spawn(long nonce, String runId) {
        return "{\"code\":2,\"nonce\":" + nonce + ",\"data\":{\"runid\":\"" + runId + "\"}}";
    }

    private static String log(long nonce, String runId, String text) {
        return "{\"code\":3,\"nonce\":" + nonce + ",\"data\":{\"runid\":\"" + runId + "\",\"stdout\":\"" + text
                + "\"}}";
    }

    private static String stop(long nonce, String runId, String extra) {
        return "{\"code\":4,\"nonce\":" + nonce + ",\"data\":{\"runid\":\"" + runId + "\",\"exectimems\":5" + extra
                + "}}";
    }

    private static String error(long nonce, int code, String message) {
        return "{\"code\":1,\"nonce\":" + nonce + ",\"data\":{\"code\":" + code + ",\"message\":\"" + message + "\"}}";
    }

    @Test
    void nonces_are_unique_and_each_run_gets_only_its_own_events() throws Exception {
        var seenA = new ArrayList<Event>();
        RannaRun a = connection.exec(SH, seenA::add);
        RannaRun b = connection.exec(SH, event -> {});
        long nonceA = nonceOf(socket.sent.get(0));
        long nonceB = nonceOf(socket.sent.get(1));
        assertThat(nonceA).isNotEqualTo(nonceB);
        assertThat(a.nonce()).isNotEqualTo(b.nonce());

        server(spawn(nonceB, "bb"));
        server(spawn(nonceA, "aa"));
        server(log(nonceA, "aa", "for a"));
        server(log(nonceB, "bb", "for b"));
        server(stop(nonceB, "bb", ",\"exitcode\":3"));
        server(stop(nonceA, "aa", ",\"exitcode\":0"));

        assertThat(a.stop().toCompletableFuture().get(1, TimeUnit.SECONDS).exitCode())
                .isZero();
        assertThat(b.stop().toCompletableFuture().get(1, TimeUnit.SECONDS).exitCode())
                .isEqualTo(3);
        assertThat(seenA).extracting(Event::eventCode).map(Enum::name).containsExactly("SPAWN", "LOG", "STOP");
        assertThat(((Event.Log) seenA.get(1)).text()).isEqualTo("for a");
        assertThat(a.runId().value()).isEqualTo("aa");
    }

    @Test
    void an_error_before_spawn_is_a_refusal_that_fails_stop_with_its_code_and_message() throws Exception {
        RannaRun run = connection.exec(SH);
        long nonce = nonceOf(socket.sent.get(0));
        server(error(nonce, 429, "you have been rate limited"));

        assertThatThrownBy(() -> run.stop().toCompletableFuture().get(1, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isExactlyInstanceOf(RannaException.class)
                .hasMessage("you have been rate limited")
                .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(429));
        assertThat(run.error().code()).isEqualTo(429);
        // The stream shows the ERROR, then ends: no STOP follows a refusal.
        assertThat(run.events()).singleElement().isInstanceOf(Event.Error.class);
        assertThat(connection.bufferedEvents()).isZero();
    }

    @Test
    void an_error_after_spawn_is_kept_and_the_stop_that_follows_completes_the_run() throws Exception {
        RannaRun run = connection.exec(SH);
        long nonce = nonceOf(socket.sent.get(0));
        server(spawn(nonce, "r1"));
        server(error(nonce, 408, "code execution timed out"));
        server(stop(nonce, "r1", ",\"signal\":\"SIGKILL\",\"timedout\":true"));

        RunResult result = run.stop().toCompletableFuture().get(1, TimeUnit.SECONDS);
        assertThat(result.timedOut()).isTrue();
        assertThat(run.error().code()).isEqualTo(408);
        assertThat(run.error().getMessage()).isEqualTo("code execution timed out");
        assertThat(run.events()).extracting(Event::eventCode).map(Enum::name).containsExactly("SPAWN", "ERROR", "STOP");
    }

    @Test
    void operations_called_before_spawn_go_out_after_it_in_call_order_and_their_errors_reach_the_run()
            throws Exception {
        RannaRun run = connection.exec(SH, event -> {});
        long nonce = nonceOf(socket.sent.get(0));
        CompletionStage<Void> stdin = run.stdin("Ada\n");
        run.signal(ProgramSignal.SIGINT);
        run.closeStdin();
        run.resize(100, 30);
        run.kill();
        assertThat(socket.sent).hasSize(1);

        server(spawn(nonce, "r1"));
        stdin.toCompletableFuture().get(1, TimeUnit.SECONDS);
        assertThat(socket.sent).hasSize(6);
        assertThat(socket.sent.get(1)).contains("\"op\":3", "\"runid\":\"r1\"", "\"data\":\"Ada\\n\"");
        assertThat(socket.sent.get(1)).doesNotContain("eof");
        assertThat(socket.sent.get(2)).contains("\"op\":4", "\"signal\":\"SIGINT\"");
        assertThat(socket.sent.get(3)).contains("\"op\":3", "\"eof\":true");
        assertThat(socket.sent.get(4)).contains("\"op\":5", "\"cols\":100", "\"rows\":30");
        assertThat(socket.sent.get(5)).contains("\"op\":2", "\"runid\":\"r1\"");

        // The KILL's answer comes on the KILL's nonce: it is the run's, but does not end it.
        server(error(nonceOf(socket.sent.get(5)), 400, "sandbox is not running"));
        assertThat(run.isDone()).isFalse();
        assertThat(run.error()).isNull();
        assertThat(run.errors()).extracting(RannaException::code).containsExactly(400);
        server(stop(nonce, "r1", ",\"killed\":true"));
        assertThat(run.stop().toCompletableFuture().get(1, TimeUnit.SECONDS).killed())
                .isTrue();
    }

    @Test
    void operations_of_a_refused_run_fail_like_its_stop() {
        RannaRun run = connection.exec(SH);
        CompletionStage<Void> kill = run.kill();
        server(error(nonceOf(socket.sent.get(0)), 400, "unsupported language spec"));
        assertThatThrownBy(() -> kill.toCompletableFuture().get(1, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(RannaException.class)
                .hasMessage("unsupported language spec");
        assertThat(socket.sent).hasSize(1);
    }

    @Test
    void ping_completes_on_its_pong() throws Exception {
        CompletionStage<Duration> ping = connection.ping();
        long nonce = nonceOf(socket.sent.get(0));
        assertThat(socket.sent.get(0)).contains("\"op\":0");
        server("{\"code\":0,\"nonce\":" + nonce + ",\"data\":\"Pong!\"}");
        assertThat(ping.toCompletableFuture().get(1, TimeUnit.SECONDS).isNegative())
                .isFalse();
    }

    @Test
    void the_network_is_asked_for_no_more_than_the_window_beyond_what_readers_took() throws Exception {
        // Window 4: after open, 4 requested. Events held for a reader use up requests without giving them back.
        RannaRun run = connection.exec(SH);
        long nonce = nonceOf(socket.sent.get(0));
        assertThat(socket.requested).isEqualTo(4);
        server(spawn(nonce, "r1"));
        for (int i = 0; i < 3; i++) {
            server(log(nonce, "r1", "line " + i));
        }
        assertThat(connection.bufferedEvents()).isEqualTo(4);
        assertThat(socket.requested).as("nothing more asked while 4 wait").isEqualTo(4);

        assertThat(run.nextEvent(Duration.ZERO)).isInstanceOf(Event.Spawn.class);
        assertThat(socket.requested).as("one taken, one more asked").isEqualTo(5);
        assertThat(connection.bufferedEvents()).isEqualTo(3);

        // Events nobody holds (a PONG, one for no run) give their request back at once.
        server("{\"code\":0,\"nonce\":999,\"data\":\"Pong!\"}");
        assertThat(socket.requested).isEqualTo(6);

        run.discardEvents();
        assertThat(connection.bufferedEvents()).isZero();
        assertThat(socket.requested).isEqualTo(9);
        server(log(nonce, "r1", "dropped"));
        assertThat(socket.requested).isEqualTo(10);
        server(stop(nonce, "r1", ",\"exitcode\":0"));
        assertThat(run.stop().toCompletableFuture().get(1, TimeUnit.SECONDS).exitCode())
                .isZero();
        assertThat(connection.peakBufferedEvents()).isEqualTo(4);
    }

    @Test
    void a_message_in_parts_is_assembled_and_its_parts_are_asked_for_at_once() throws Exception {
        RannaRun run = connection.exec(SH);
        long nonce = nonceOf(socket.sent.get(0));
        String whole = log(nonce, "r1", "split \\u00e9 across frames");
        server(spawn(nonce, "r1"));
        listener.onText(socket, whole.substring(0, 10), false);
        listener.onText(socket, whole.substring(10, 40), false);
        assertThat(socket.requested).isEqualTo(4 + 2);
        listener.onText(socket, whole.substring(40), true);
        run.nextEvent(Duration.ZERO);
        assertThat(((Event.Log) run.nextEvent(Duration.ZERO)).text()).isEqualTo("split é across frames");
    }

    @Test
    void a_message_over_the_bound_closes_the_connection_and_fails_the_runs() {
        open(4, 100);
        RannaRun run = connection.exec(SH);
        listener.onText(socket, "x".repeat(60), false);
        listener.onText(socket, "x".repeat(60), false);
        assertThat(connection.isOpen()).isFalse();
        assertThat(socket.closeStatus).isEqualTo(1009);
        assertThatThrownBy(() -> run.stop().toCompletableFuture().get(1, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(RannaConnectionException.class)
                .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(1009));
    }

    @Test
    void the_server_closing_fails_runs_in_flight_and_their_readers_and_listeners() throws Exception {
        RannaRun pulled = connection.exec(SH);
        var failures = new ArrayList<RannaException>();
        RannaRun pushed = connection.exec(SH, new RunListener() {
            @Override
            public void onEvent(Event event) {}

            @Override
            public void onFailure(RannaException failure) {
                failures.add(failure);
            }
        });
        server(spawn(nonceOf(socket.sent.get(0)), "r1"));
        CompletionStage<Duration> ping = connection.ping();

        listener.onClose(socket, 1001, "going away");

        for (RannaRun run : List.of(pulled, pushed)) {
            assertThatThrownBy(() -> run.stop().toCompletableFuture().get(1, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(RannaConnectionException.class)
                    .hasMessageContaining("1001");
        }
        assertThat(failures).singleElement().isInstanceOf(RannaConnectionException.class);
        assertThat(ping.toCompletableFuture()).isCompletedExceptionally();
        // The reader gets what arrived, then the failure.
        var events = pulled.events().iterator();
        assertThat(events.next()).isInstanceOf(Event.Spawn.class);
        assertThatThrownBy(events::hasNext).isInstanceOf(RannaConnectionException.class);
        assertThat(connection.closed().toCompletableFuture().get().code()).isEqualTo(1001);
        // And new runs fail at once.
        assertThat(connection.exec(SH).stop().toCompletableFuture()).isCompletedExceptionally();
    }

    @Test
    void a_listener_that_throws_does_not_stop_the_run() throws Exception {
        RannaRun run = connection.exec(SH, event -> {
            throw new IllegalStateException("listener bug");
        });
        long nonce = nonceOf(socket.sent.get(0));
        server(spawn(nonce, "r1"));
        server(stop(nonce, "r1", ",\"exitcode\":0"));
        assertThat(run.stop().toCompletableFuture().get(1, TimeUnit.SECONDS).exitCode())
                .isZero();
        assertThat(socket.requested).isEqualTo(4 + 2);
    }

    /** Records sends and requests; sends complete at once, as a socket with room does. */
    static final class FakeSocket implements WebSocket {
        final List<String> sent = new ArrayList<>();
        long requested;
        int closeStatus = -1;
        boolean aborted;

        @Override
        public synchronized CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) {
            sent.add(data.toString());
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
            throw new AssertionError("the client sends no binary");
        }

        @Override
        public CompletableFuture<WebSocket> sendPing(ByteBuffer message) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendPong(ByteBuffer message) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public synchronized CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
            closeStatus = statusCode;
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public synchronized void request(long n) {
            requested += n;
        }

        @Override
        public String getSubprotocol() {
            return "";
        }

        @Override
        public boolean isOutputClosed() {
            return closeStatus != -1;
        }

        @Override
        public boolean isInputClosed() {
            return aborted;
        }

        @Override
        public void abort() {
            aborted = true;
        }
    }
}
