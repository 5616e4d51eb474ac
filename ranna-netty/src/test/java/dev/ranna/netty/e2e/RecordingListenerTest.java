package dev.ranna.netty.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The end-to-end client's contract check: what it lets through and what it fails, read or not. */
class RecordingListenerTest {
    private static final String RUN = "2a4d3e48e67995e1a7726d79344c96b8";
    private static final String STOP_WITHOUT_EXECTIMEMS =
            "{\"code\":4,\"nonce\":1,\"data\":{\"runid\":\"" + RUN + "\"}}";

    @BeforeEach
    void startClean() {
        RecordingListener.assertEveryMessageMatchedTheContract();
    }

    @Test
    void aValidMessageInPartsIsCheckedWholeAndPasses() throws Exception {
        var listener = new RecordingListener();

        listener.onText(null, "{\"code\":2,\"nonce\":1,", false);
        listener.onText(null, "\"data\":{\"runid\":\"" + RUN + "\"}}", true);

        assertThat(listener.next(Duration.ofSeconds(1)).text()).startsWith("{\"code\":2");
        RecordingListener.assertEveryMessageMatchedTheContract();
    }

    @Test
    void readingAMessageThatBreaksTheContractFailsNamingTheSchemaAndTheMessage() {
        var listener = new RecordingListener();
        listener.onText(null, STOP_WITHOUT_EXECTIMEMS, true);

        assertThatThrownBy(() -> listener.next(Duration.ofSeconds(1)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("events/stop.json")
                .hasMessageContaining("exectimems")
                .hasMessageContaining(STOP_WITHOUT_EXECTIMEMS);
        assertThatThrownBy(RecordingListener::assertEveryMessageMatchedTheContract)
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void aMessageNobodyReadsStillFailsTheCheckAfterTheTestOnce() {
        var listener = new RecordingListener();
        listener.onText(null, STOP_WITHOUT_EXECTIMEMS, true);
        listener.messages.clear();

        assertThatThrownBy(RecordingListener::assertEveryMessageMatchedTheContract)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("events/stop.json")
                .hasMessageContaining(STOP_WITHOUT_EXECTIMEMS);
        RecordingListener.assertEveryMessageMatchedTheContract();
    }

    @Test
    void anUnknownEventCodeAndABinaryFrameBreakTheContract() {
        var listener = new RecordingListener();
        listener.onText(null, "{\"code\":5,\"data\":{}}", true);
        listener.onBinary(null, ByteBuffer.wrap(new byte[] {1}), true);

        assertThatThrownBy(RecordingListener::assertEveryMessageMatchedTheContract)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("no event schema applies")
                .hasMessageContaining("binary frame");
    }
}
