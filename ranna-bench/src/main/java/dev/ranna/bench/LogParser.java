package dev.ranna.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.ranna.protocol.json.ProtocolCodec;
import java.io.IOException;

/**
 * The client's fast path for the one message it receives in bulk: a LOG as the server writes it,
 * {@code {"code":3,"nonce":<integer>,"data":{"runid":"...","stdout"|"stderr":"..."}}}. A streaming
 * Jackson parse of the whole message (syntax checked to the end, duplicate keys refused, strings
 * unescaped, unknown fields skipped, as {@link ProtocolCodec#decodeEvent} does) that counts and checks
 * the stdout text in the parser's own buffer instead of building a JSON tree and a {@code String}.
 * Anything else, or anything unusual (another field order, a run this client does not track, a run
 * whose output is kept), is left to {@code decodeEvent}: {@link #handle} returns false before it
 * changes any state.
 */
final class LogParser {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(ProtocolCodec.MAX_NESTING_DEPTH)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private LogParser() {}

    /**
     * @return true if the message was a LOG and was fully handled; false if the caller must decode it
     * @throws IOException if the message is not valid JSON (a protocol error either way)
     */
    static boolean handle(char[] text, int length, WsClient client) throws IOException {
        try (JsonParser p = JSON.createParser(text, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT || !field(p, "code")) {
                return false;
            }
            if (p.nextToken() != JsonToken.VALUE_NUMBER_INT
                    || p.getNumberType() != JsonParser.NumberType.INT
                    || p.getIntValue() != 3) {
                return false;
            }
            if (!field(p, "nonce")
                    || p.nextToken() != JsonToken.VALUE_NUMBER_INT
                    || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                return false;
            }
            WsClient.RunTracker tracker = client.run(p.getLongValue());
            if (tracker == null || tracker.keepOutput || !field(p, "data") || p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            boolean runId = false;
            boolean stderr = false;
            long stdoutChars = -1;
            long unexpected = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("runid") || name.equals("stdout") || name.equals("stderr")) {
                    if (value != JsonToken.VALUE_STRING) {
                        return false;
                    }
                    if (name.equals("runid")) {
                        runId = true;
                    } else if (name.equals("stderr")) {
                        stderr = true;
                    } else {
                        stdoutChars = p.getTextLength();
                        unexpected = tracker.unexpected(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || !runId || (stdoutChars < 0 && !stderr)) {
                return false;
            }
            // Fields after "data" are allowed (and ignored) as long as the message is well formed.
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                p.nextToken();
                p.skipChildren();
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return false;
            }
            if (stdoutChars >= 0) {
                tracker.counted(stdoutChars, unexpected);
            }
            return true;
        }
    }

    private static boolean field(JsonParser p, String name) throws IOException {
        return p.nextToken() == JsonToken.FIELD_NAME && name.equals(p.currentName());
    }
}
