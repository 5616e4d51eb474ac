package dev.ranna.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProjectFile;
import dev.ranna.protocol.RequestLimits;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.lifecycle.AfterContainer;
import org.jspecify.annotations.Nullable;

/**
 * Properties of the codec on generated input: decoding untrusted text never throws and never hangs,
 * whatever it is (arbitrary strings, JSON-like noise, mutated valid messages, deep nesting), and every
 * operation and event survives an encode/decode round trip unchanged.
 */
class CodecPropertiesTest {
    private static final OperationDecoder OPERATIONS = OperationDecoder.create();
    private static final RestRequestDecoder REST_REQUESTS = RestRequestDecoder.create();
    private static final EventEncoder EVENTS = EventEncoder.create();
    private static final ClientCodec CLIENT = ClientCodec.create();
    /** Generous for a 2-core CI machine; a decode takes microseconds. */
    private static final long DECODE_DEADLINE_MS = 5_000;

    private static final ExecutorService DECODER = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "codec-property-decoder");
        thread.setDaemon(true);
        return thread;
    });

    /** Inputs decoded, per kind, for the reliability report. */
    private static final Map<String, AtomicLong> FIGURES = new ConcurrentHashMap<>();

    private static void count(String figure) {
        FIGURES.computeIfAbsent(figure, k -> new AtomicLong()).incrementAndGet();
    }

    @AfterContainer
    static void stopDecoderAndWriteFigures() throws IOException {
        DECODER.shutdownNow();
        writeFigures();
    }

    /**
     * The section of {@code docs/reliability.md} about this class, under {@code target/reliability/}; the
     * report step of ranna-it collects it from there.
     */
    private static void writeFigures() throws IOException {
        var md = new StringBuilder();
        md.append("<!-- BEGIN suite:codec-properties -->\n");
        md.append("### Codec properties (`ranna-protocol` `CodecPropertiesTest`, jqwik)\n\n");
        md.append(
                "Generated input against the protocol codecs (`OperationDecoder`, `RestRequestDecoder`, `EventEncoder`, `ClientCodec`): decoding (as a WebSocket operation and as a REST"
                        + " body) must return a 400 failure or a success, never throw, and return within 5 s, for"
                        + " arbitrary strings, JSON-like token noise, mutated valid messages and nesting up to 200,000"
                        + " levels; every generated operation, REST request and event must survive encode/decode"
                        + " unchanged, and whatever a mutated message decodes to must itself round-trip.\n\n");
        md.append("Run by: `mvn -pl ranna-protocol verify` (part of the default build). Last run: ")
                .append(OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS))
                .append(".\n\n| figure | value |\n|---|---|\n");
        new TreeMap<>(FIGURES)
                .forEach((k, v) ->
                        md.append("| ").append(k).append(" | ").append(v.get()).append(" |\n"));
        md.append("<!-- END suite:codec-properties -->\n");
        Path dir = Path.of("target", "reliability");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("codec-properties.md"), md.toString(), StandardCharsets.UTF_8);
    }

    /** Runs one decode on another thread and fails if it throws or does not return in time. */
    private static <T> T within(String input, Callable<T> decode) throws Exception {
        Future<T> result = DECODER.submit(decode);
        try {
            return result.get(DECODE_DEADLINE_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            throw new AssertionError("decoding did not return within " + DECODE_DEADLINE_MS + " ms: " + shorten(input));
        }
    }

    private static String shorten(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "... (" + text.length() + " chars)" : text;
    }

    /** Decodes as an operation and as a REST body; both must return a well-formed result. */
    private static DecodeResult decodeBoth(String text) throws Exception {
        count("inputs decoded (each as an operation and as a REST body)");
        DecodeResult operation = within(text, () -> OPERATIONS.decode(text));
        DecodeResult body = within(text, () -> REST_REQUESTS.decodeExecutionRequest(text));
        assertWellFormed(text, operation);
        assertWellFormed(text, body);
        return operation;
    }

    private static void assertWellFormed(String text, DecodeResult result) {
        assertThat(result).as(shorten(text)).isNotNull();
        if (result instanceof DecodeResult.Failure) {
            var failure = (DecodeResult.Failure) result;
            assertThat(failure.code()).isEqualTo(400);
            assertThat(failure.message()).isNotBlank();
            // The answer must be encodable as an ERROR event.
            assertThat(EVENTS.encode(failure.toEvent())).isNotEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Decoding never throws, never hangs

    @Property(tries = 2000)
    void decodingArbitraryTextNeverThrows(@ForAll @StringLength(max = 3000) String text) throws Exception {
        count("arbitrary strings");
        decodeBoth(text);
    }

    @Property(tries = 2000)
    void decodingJsonLikeNoiseNeverThrows(@ForAll("jsonNoise") String text) throws Exception {
        count("JSON-like token noise");
        decodeBoth(text);
    }

    @Provide
    Arbitrary<String> jsonNoise() {
        Arbitrary<String> tokens = Arbitraries.of(
                "{",
                "}",
                "[",
                "]",
                ":",
                ",",
                "\"",
                "\\",
                "\\u",
                "\\ud800",
                "\\udc00",
                "0",
                "-",
                "1e309",
                "9223372036854775808",
                "1.5",
                "true",
                "false",
                "null",
                "\"op\"",
                "\"nonce\"",
                "\"args\"",
                "\"language\"",
                "\"code\"",
                "\"arguments\"",
                "\"environment\"",
                "\"inline_expression\"",
                "\"runid\"",
                "\"sh\"",
                " ",
                "\n",
                "\u0000",
                "€",
                "😀",
                "/*",
                "*/",
                "NaN");
        return tokens.list().ofMaxSize(200).map(list -> String.join("", list));
    }

    @Property(tries = 2000)
    void decodingMutatedValidMessagesNeverThrowsAndAcceptedOnesAreStable(
            @ForAll("operations") Operation operation, @ForAll long seed, @ForAll @IntRange(min = 1, max = 8) int edits)
            throws Exception {
        String text = mutate(CLIENT.encode(operation), new Random(seed), edits);
        count("mutated valid messages");
        DecodeResult result = decodeBoth(text);
        if (result instanceof DecodeResult.Success) {
            // Whatever was accepted is a real operation: it encodes and decodes to itself.
            Operation accepted = ((DecodeResult.Success) result).operation();
            assertThat(OPERATIONS.decode(CLIENT.encode(accepted))).isEqualTo(new DecodeResult.Success(accepted));
        }
    }

    private static String mutate(String text, Random random, int edits) {
        var sb = new StringBuilder(text);
        String alphabet = "{}[]\":,\\0123456789-+.eEtrufalsn \u0000€😀";
        for (int i = 0; i < edits; i++) {
            int at = sb.length() == 0 ? 0 : random.nextInt(sb.length());
            switch (random.nextInt(6)) {
                case 0:
                    if (sb.length() > 0) {
                        sb.deleteCharAt(at);
                    }
                    break;
                case 1:
                    sb.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    break;
                case 2:
                    if (sb.length() > 0) {
                        sb.setCharAt(at, (char) random.nextInt(0x10000));
                    }
                    break;
                case 3: {
                    int end = Math.min(sb.length(), at + random.nextInt(20));
                    sb.insert(at, sb.substring(at, end));
                    break;
                }
                case 4:
                    sb.setLength(at);
                    break;
                default: {
                    int other = sb.length() == 0 ? 0 : random.nextInt(sb.length());
                    if (sb.length() > 0) {
                        char c = sb.charAt(at);
                        sb.setCharAt(at, sb.charAt(other));
                        sb.setCharAt(other, c);
                    }
                }
            }
        }
        return sb.toString();
    }

    @Property(tries = 300)
    void deepNestingIsRefusedWithAnErrorNotAStackOverflow(
            @ForAll @IntRange(min = OperationDecoder.MAX_NESTING_DEPTH + 1, max = 200_000) int depth,
            @ForAll boolean objects,
            @ForAll @IntRange(min = 0, max = 2) int where)
            throws Exception {
        String open = objects ? "{\"a\":" : "[";
        String close = objects ? "}" : "]";
        String nested = open.repeat(depth) + "1" + close.repeat(depth);
        String text;
        switch (where) {
            case 0:
                text = nested;
                break;
            case 1:
                text = "{\"op\":1,\"nonce\":1,\"args\":" + nested + "}";
                break;
            default:
                text = "{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":" + nested
                        + "}}";
        }
        count("deeply nested messages (33 to 200,000 levels)");
        DecodeResult result = decodeBoth(text);
        assertThat(result).isInstanceOf(DecodeResult.Failure.class);
        assertThat(((DecodeResult.Failure) result).message()).contains("nesting or size limit exceeded");
    }

    @Property(tries = 200)
    void unterminatedDeepNestingIsRefusedToo(@ForAll @IntRange(min = 1, max = 200_000) int depth) throws Exception {
        DecodeResult result = decodeBoth("[".repeat(depth));
        assertThat(result).isInstanceOf(DecodeResult.Failure.class);
    }

    // ---------------------------------------------------------------------------------------------
    // Round trips

    @Property(tries = 2000)
    void everyOperationRoundTrips(@ForAll("operations") Operation operation) throws Exception {
        count("operations round-tripped");
        String text = CLIENT.encode(operation);
        assertThat(decodeBoth(text)).isEqualTo(new DecodeResult.Success(operation));
    }

    @Property(tries = 1000)
    void everyExecutionRequestRoundTripsAsARestBody(@ForAll("requests") ExecutionRequest request) throws Exception {
        count("REST requests round-tripped");
        String text = CLIENT.encode(request);
        assertThat(within(text, () -> REST_REQUESTS.decodeExecutionRequest(text)))
                .isEqualTo(new DecodeResult.Success(new Operation.Exec(Nonce.NONE, request)));
    }

    @Property(tries = 2000)
    void everyEventRoundTrips(@ForAll("events") Event event) {
        count("events round-tripped");
        assertThat(CLIENT.decodeEvent(EVENTS.encode(event))).isEqualTo(event);
    }

    // ---------------------------------------------------------------------------------------------
    // Generators

    /** Valid text: any Unicode, surrogates only in pairs (emoji), control characters included. */
    static Arbitrary<String> text(int maxLength) {
        Arbitrary<String> bmp = Arbitraries.strings()
                .withCharRange('\u0000', '\ud7ff')
                .withCharRange('\ue000', '\uffff')
                .ofMaxLength(maxLength);
        Arbitrary<String> mixed = Arbitraries.of(
                        "a", "\"", "\\", "\u0000", "\n", "€", "😀", "👋🏽", "𝄞", "\u2028", " ")
                .list()
                .ofMaxSize(Math.min(maxLength, 20))
                .map(parts -> String.join("", parts));
        return Arbitraries.oneOf(bmp, mixed, Arbitraries.strings().alpha().ofMaxLength(maxLength));
    }

    @Provide
    Arbitrary<Nonce> nonces() {
        return Arbitraries.oneOf(
                Arbitraries.just(Nonce.NONE),
                Arbitraries.longs().map(Nonce::of),
                Arbitraries.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE).map(Nonce::of),
                text(40).map(Nonce::of));
    }

    @Provide
    Arbitrary<ExecutionRequest> requests() {
        Arbitrary<List<String>> arguments = text(20).list().ofMaxSize(6);
        Arbitrary<Map<String, String>> environment = Arbitraries.maps(text(12).filter(k -> !k.isEmpty()), text(20))
                .ofMaxSize(5)
                .map(LinkedHashMap::new);
        Arbitrary<List<ProjectFile>> files = Combinators.combine(
                        text(20), text(40), Arbitraries.of(ProjectFile.Encoding.values()))
                .as(ProjectFile::new)
                .list()
                .ofMaxSize(3);
        Arbitrary<@Nullable Long> limit =
                Arbitraries.longs().between(1, Long.MAX_VALUE).injectNull(0.5);
        Arbitrary<RequestLimits> limits =
                Combinators.combine(limit, limit, limit, limit).as(RequestLimits::new);
        return Combinators.combine(
                        Combinators.combine(text(30), text(200), Arbitraries.of(true, false), arguments, environment)
                                .as(ExecutionRequest::new),
                        files,
                        limits)
                .as(ExecutionRequest::withProject);
    }

    @Provide
    Arbitrary<Operation> operations() {
        Arbitrary<Nonce> nonce = nonces();
        return Arbitraries.oneOf(
                nonce.map(Operation.Ping::new),
                Combinators.combine(nonce, requests()).as(Operation.Exec::new),
                Combinators.combine(nonce, text(70).filter(s -> !s.isEmpty()).map(RunId::new))
                        .as(Operation.Kill::new));
    }

    @Provide
    Arbitrary<Event> events() {
        Arbitrary<Nonce> nonce = nonces();
        Arbitrary<RunId> runId = Arbitraries.oneOf(
                Arbitraries.just(0).map(i -> RunId.random()),
                text(70).filter(s -> !s.isEmpty()).map(RunId::new));
        Arbitrary<RunResult> result = Combinators.combine(
                        Arbitraries.longs().between(0, Long.MAX_VALUE),
                        Arbitraries.integers().injectNull(0.3),
                        Arbitraries.of("SIGKILL", "SIGTERM", "SIGXCPU").injectNull(0.5),
                        Arbitraries.of(true, false),
                        Arbitraries.of(true, false),
                        Arbitraries.of(true, false))
                .as(RunResult::new);
        Arbitrary<@Nullable Stage> stage = Arbitraries.of(Stage.values()).injectNull(0.5);
        Arbitrary<RunResult> staged = Combinators.combine(
                        result, stage, Arbitraries.longs().between(0, Long.MAX_VALUE))
                .as((r, s, ms) -> s == null ? r : r.withStage(s, ms));
        return Arbitraries.oneOf(
                nonce.map(Event.Pong::new),
                Combinators.combine(nonce, Arbitraries.integers(), text(100)).as(Event.Error::new),
                Combinators.combine(nonce, runId).as(Event.Spawn::new),
                Combinators.combine(nonce, runId, Arbitraries.of(StdStream.values()), text(300), stage)
                        .as(Event.Log::new),
                Combinators.combine(nonce, runId, staged).as(Event.Stop::new));
    }
}
