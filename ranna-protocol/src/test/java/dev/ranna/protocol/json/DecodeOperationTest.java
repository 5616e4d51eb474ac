package dev.ranna.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.ProjectFile;
import dev.ranna.protocol.RequestLimits;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.SpecMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DecodeOperationTest {
    private static final OperationDecoder OPERATIONS = OperationDecoder.create();
    private static final RestRequestDecoder REST_REQUESTS = RestRequestDecoder.create();
    private static final SpecMapReader SPECS = SpecMapReader.create();

    private static DecodeResult.Failure failure(String text) {
        DecodeResult result = OPERATIONS.decode(text);
        assertThat(result).as(text).isInstanceOf(DecodeResult.Failure.class);
        var failure = (DecodeResult.Failure) result;
        assertThat(failure.code()).isEqualTo(400);
        return failure;
    }

    private static Operation success(String text) {
        DecodeResult result = OPERATIONS.decode(text);
        assertThat(result).as(text).isInstanceOf(DecodeResult.Success.class);
        return ((DecodeResult.Success) result).operation();
    }

    // --- nonces --------------------------------------------------------------------------------

    static Stream<Arguments> validNonces() {
        return Stream.of(
                Arguments.of("{\"op\":0}", Nonce.NONE),
                Arguments.of("{\"op\":0,\"nonce\":null}", Nonce.NONE),
                Arguments.of("{\"op\":0,\"nonce\":0}", Nonce.of(0)),
                Arguments.of("{\"op\":0,\"nonce\":-42}", Nonce.of(-42)),
                Arguments.of("{\"op\":0,\"nonce\":9223372036854775807}", Nonce.of(Long.MAX_VALUE)),
                Arguments.of("{\"op\":0,\"nonce\":-9223372036854775808}", Nonce.of(Long.MIN_VALUE)),
                Arguments.of("{\"op\":0,\"nonce\":\"abc\"}", Nonce.of("abc")),
                Arguments.of("{\"op\":0,\"nonce\":\"\"}", Nonce.of("")),
                Arguments.of("{\"op\":0,\"nonce\":\"123\"}", Nonce.of("123")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validNonces")
    void nonceIsReadWithItsType(String text, Nonce expected) {
        assertThat(success(text).nonce()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validNonces")
    void nonceIsEchoedExactly(String text, Nonce nonce) {
        String pong = EventEncoder.create().encode(new dev.ranna.protocol.Event.Pong(nonce));
        var sent = Golden.tree(text).get("nonce");
        var echoed = Golden.tree(pong).get("nonce");
        if (sent == null || sent.isNull()) {
            assertThat(echoed).isNull();
        } else {
            assertThat(echoed).isEqualTo(sent);
            assertThat(echoed.getNodeType()).isEqualTo(sent.getNodeType());
        }
    }

    @ParameterizedTest
    @MethodSource
    void invalidNonceIsRejected(String text) {
        var failure = failure(text);
        assertThat(failure.message()).startsWith("invalid nonce");
        assertThat(failure.nonce()).isEqualTo(Nonce.NONE);
    }

    static Stream<String> invalidNonceIsRejected() {
        return Stream.of(
                "{\"op\":0,\"nonce\":1.5}",
                "{\"op\":0,\"nonce\":1.0}",
                "{\"op\":0,\"nonce\":1e3}",
                "{\"op\":0,\"nonce\":{}}",
                "{\"op\":0,\"nonce\":[]}",
                "{\"op\":0,\"nonce\":true}",
                "{\"op\":0,\"nonce\":false}",
                "{\"op\":0,\"nonce\":9223372036854775808}",
                "{\"op\":0,\"nonce\":\"\\ud800\"}");
    }

    // --- op --------------------------------------------------------------------------------------

    @Test
    void pingIgnoresItsArgsWhateverTheyAre() {
        assertThat(success("{\"op\":0,\"args\":null}")).isEqualTo(new Operation.Ping(Nonce.NONE));
        assertThat(success("{\"op\":0,\"args\":[1,2]}")).isEqualTo(new Operation.Ping(Nonce.NONE));
        assertThat(success("{\"op\":0,\"nonce\":3,\"args\":\"x\"}")).isEqualTo(new Operation.Ping(Nonce.of(3)));
    }

    @ParameterizedTest
    @MethodSource
    void malformedMessageIsAnInvalidMessage(String text) {
        assertThat(failure(text).message()).startsWith("invalid message: ");
    }

    static Stream<String> malformedMessageIsAnInvalidMessage() {
        return Stream.of(
                "",
                "   ",
                "not json",
                "{",
                "{\"op\":0",
                "{\"op\":0}}",
                "{\"op\":0} {\"op\":0}",
                "[]",
                "[{\"op\":0}]",
                "0",
                "\"op\"",
                "null",
                "true",
                "{}",
                "{\"nonce\":5}",
                "{\"op\":null}",
                "{\"op\":\"0\"}",
                "{\"op\":\"EXEC\"}",
                "{\"op\":1.0}",
                "{\"op\":0.5}",
                "{\"op\":true}",
                "{\"op\":[0]}",
                "{\"op\":{}}",
                "{'op':0}",
                "{op:0}",
                "{\"op\":0,}",
                "{\"op\":00}",
                "{\"op\":0,\"op\":1}",
                "{\"op\":NaN}");
    }

    @Test
    void failureKeepsTheNonceWhenOpIsBad() {
        var failure = failure("{\"op\":\"1\",\"nonce\":77}");
        assertThat(failure.nonce()).isEqualTo(Nonce.of(77));
        assertThat(failure.message()).isEqualTo("invalid message: op must be an integer, got a string");
    }

    @ParameterizedTest
    @MethodSource
    void unknownIntegerOpIsAnInvalidOperationCode(String text) {
        var failure = failure(text);
        assertThat(failure.message()).isEqualTo("invalid operation code");
        assertThat(failure.nonce()).isEqualTo(Nonce.of(9));
    }

    static Stream<String> unknownIntegerOpIsAnInvalidOperationCode() {
        return Stream.of(
                "{\"op\":6,\"nonce\":9}",
                "{\"op\":-1,\"nonce\":9}",
                "{\"op\":2147483648,\"nonce\":9}",
                "{\"op\":4294967297,\"nonce\":9}",
                "{\"op\":99999999999999999999999999,\"nonce\":9}");
    }

    @Test
    void duplicateKeysAreRejectedNotSilentlyResolved() {
        assertThat(failure("{\"op\":1,\"nonce\":1,\"nonce\":2}").message()).contains("Duplicate field 'nonce'");
        assertThat(failure("{\"op\":1,\"args\":{\"language\":\"a\",\"language\":\"b\",\"code\":\"x\"}}")
                        .message())
                .contains("Duplicate field 'language'");
    }

    // --- EXEC args -------------------------------------------------------------------------------

    @Test
    void execWithOnlyRequiredFieldsGetsDefaults() {
        assertThat(success("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"echo hi\"}}"))
                .isEqualTo(new Operation.Exec(Nonce.NONE, ExecutionRequest.of("sh", "echo hi")));
    }

    @Test
    void execOptionalFieldsMayBeNull() {
        assertThat(success("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\","
                        + "\"inline_expression\":null,\"arguments\":null,\"environment\":null}}"))
                .isEqualTo(new Operation.Exec(Nonce.NONE, ExecutionRequest.of("sh", "x")));
    }

    @Test
    void execKeepsEmptyCodeAndOneEmptyArgumentForTheEngineToJudge() {
        var exec = (Operation.Exec)
                success("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"\",\"arguments\":[\"\"]}}");
        assertThat(exec.request().code()).isEmpty();
        assertThat(exec.request().arguments()).containsExactly("");
    }

    @Test
    void unknownFieldsAreIgnored() {
        assertThat(success("{\"op\":1,\"extra\":{\"deep\":[1,2,3]},\"args\":{\"language\":\"sh\","
                        + "\"code\":\"x\",\"bypass_cache\":true,\"workdir\":\"ignored\"}}"))
                .isEqualTo(new Operation.Exec(Nonce.NONE, ExecutionRequest.of("sh", "x")));
    }

    @Test
    void environmentKeepsItsOrder() {
        var exec = (Operation.Exec)
                success(
                        "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"environment\":{\"Z\":\"1\",\"A\":\"2\",\"M\":\"3\"}}}");
        assertThat(exec.request().environment().keySet()).containsExactly("Z", "A", "M");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource
    void malformedExecArgsNameTheField(String args, String message) {
        var failure = failure("{\"op\":1,\"nonce\":42," + args + "}");
        assertThat(failure.message()).isEqualTo(message);
        assertThat(failure.nonce()).isEqualTo(Nonce.of(42));
    }

    static Stream<Arguments> malformedExecArgsNameTheField() {
        return Stream.of(
                Arguments.of("\"x\":1", "args: missing"),
                Arguments.of("\"args\":null", "args: missing"),
                Arguments.of("\"args\":[]", "args: expected an object, got an array"),
                Arguments.of("\"args\":\"sh\"", "args: expected an object, got a string"),
                Arguments.of("\"args\":7", "args: expected an object, got an integer"),
                Arguments.of("\"args\":{\"code\":\"x\"}", "args.language: missing"),
                Arguments.of("\"args\":{\"language\":null,\"code\":\"x\"}", "args.language: missing"),
                Arguments.of(
                        "\"args\":{\"language\":5,\"code\":\"x\"}", "args.language: expected a string, got an integer"),
                Arguments.of(
                        "\"args\":{\"language\":[\"sh\"],\"code\":\"x\"}",
                        "args.language: expected a string, got an array"),
                Arguments.of("\"args\":{\"language\":\"sh\"}", "args.code: missing"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":1}", "args.code: expected a string, got an integer"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":{\"a\":1}}",
                        "args.code: expected a string, got an object"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":[\"echo\"]}",
                        "args.code: expected a string, got an array"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"inline_expression\":\"true\"}",
                        "args.inline_expression: expected a boolean, got a string"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"inline_expression\":1}",
                        "args.inline_expression: expected a boolean, got an integer"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":\"a b\"}",
                        "args.arguments: expected an array of strings, got a string"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":[\"a\",2]}",
                        "args.arguments[1]: expected a string, got an integer"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":[null]}",
                        "args.arguments[0]: expected a string, got null"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":[[\"a\"]]}",
                        "args.arguments[0]: expected a string, got an array"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"environment\":[\"A=1\"]}",
                        "args.environment: expected an object of strings, got an array"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"environment\":{\"A\":1}}",
                        "args.environment.A: expected a string, got an integer"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"environment\":{\"A\":null}}",
                        "args.environment.A: expected a string, got null"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"environment\":{\"A\":true}}",
                        "args.environment.A: expected a string, got a boolean"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"\\ud83d\"}",
                        "args.code: invalid unicode (unpaired surrogate at index 0)"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"ok\\udc00\"}",
                        "args.code: invalid unicode (unpaired surrogate at index 2)"),
                Arguments.of(
                        "\"args\":{\"language\":\"\\udc00\",\"code\":\"x\"}",
                        "args.language: invalid unicode (unpaired surrogate at index 0)"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":[\"\\ud800x\"]}",
                        "args.arguments[0]: invalid unicode (unpaired surrogate at index 0)"),
                Arguments.of(
                        "\"args\":{\"language\":\"sh\",\"code\":\"x\",\"environment\":{\"A\":\"\\ud800\"}}",
                        "args.environment.A: invalid unicode (unpaired surrogate at index 0)"));
    }

    @Test
    void validSurrogatePairsAreKept() {
        var exec = (Operation.Exec) success("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"\\ud83d\\udc4b\"}}");
        assertThat(exec.request().code()).isEqualTo("👋");
    }

    // --- files and limits ------------------------------------------------------------------------

    private static String execWith(String extra) {
        return "{\"op\":1,\"nonce\":42,\"args\":{\"language\":\"c\",\"code\":\"x\"," + extra + "}}";
    }

    @Test
    void filesDecodeWithTheirEncodingDefaultingToUtf8() {
        var exec = (Operation.Exec) success(execWith("\"files\":[{\"name\":\"a/b.h\",\"content\":\"x\"},"
                + "{\"name\":\"c.bin\",\"content\":\"AA==\",\"encoding\":\"base64\"},"
                + "{\"name\":\"d\",\"content\":\"\",\"encoding\":\"utf8\",\"mode\":\"0777\"}]"));
        assertThat(exec.request().files())
                .containsExactly(
                        ProjectFile.utf8("a/b.h", "x"), ProjectFile.base64("c.bin", "AA=="), ProjectFile.utf8("d", ""));
        assertThat(exec.request().limits()).isEqualTo(RequestLimits.NONE);
    }

    @Test
    void filesAndLimitsMayBeNullOrAbsent() {
        var exec = (Operation.Exec) success(execWith("\"files\":null,\"limits\":null"));
        assertThat(exec.request().files()).isEmpty();
        assertThat(exec.request().limits()).isEqualTo(RequestLimits.NONE);
    }

    @Test
    void limitsDecodeAndUnknownLimitKeysAreIgnored() {
        var exec = (Operation.Exec) success(execWith("\"limits\":{\"timeoutms\":1000,\"compiletimeoutms\":2,"
                + "\"memorybytes\":9223372036854775807,\"outputbytes\":null,\"cpus\":-1}"));
        assertThat(exec.request().limits()).isEqualTo(new RequestLimits(1000L, 2L, Long.MAX_VALUE, null));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource
    void malformedFilesAndLimitsNameTheField(String extra, String message) {
        var failure = failure(execWith(extra));
        assertThat(failure.message()).isEqualTo(message);
        assertThat(failure.nonce()).isEqualTo(Nonce.of(42));
        // The same field, without the prefix, over REST.
        String body = "{\"language\":\"c\",\"code\":\"x\"," + extra + "}";
        assertThat(((DecodeResult.Failure) REST_REQUESTS.decodeExecutionRequest(body)).message())
                .isEqualTo(message.substring("args.".length()));
    }

    static Stream<Arguments> malformedFilesAndLimitsNameTheField() {
        String file = "{\"name\":\"a\",\"content\":\"x\"}";
        return Stream.of(
                Arguments.of("\"files\":{}", "args.files: expected an array of objects, got an object"),
                Arguments.of("\"files\":\"a.py\"", "args.files: expected an array of objects, got a string"),
                Arguments.of("\"files\":[" + file + ",7]", "args.files[1]: expected an object, got an integer"),
                Arguments.of("\"files\":[null]", "args.files[0]: expected an object, got null"),
                Arguments.of("\"files\":[{\"content\":\"x\"}]", "args.files[0].name: missing"),
                Arguments.of(
                        "\"files\":[{\"name\":1,\"content\":\"x\"}]",
                        "args.files[0].name: expected a string, got an integer"),
                Arguments.of("\"files\":[{\"name\":\"a\"}]", "args.files[0].content: missing"),
                Arguments.of(
                        "\"files\":[{\"name\":\"a\",\"content\":[1,2]}]",
                        "args.files[0].content: must be a string, got an array"),
                Arguments.of(
                        "\"files\":[{\"name\":\"a\",\"content\":\"\\ud800\"}]",
                        "args.files[0].content: invalid unicode (unpaired surrogate at index 0)"),
                Arguments.of(
                        "\"files\":[" + file + "," + file + ",{\"name\":\"a\",\"content\":\"x\",\"encoding\":\"hex\"}]",
                        "args.files[2].encoding: must be \"utf8\" or \"base64\""),
                Arguments.of(
                        "\"files\":[{\"name\":\"a\",\"content\":\"x\",\"encoding\":\"UTF8\"}]",
                        "args.files[0].encoding: must be \"utf8\" or \"base64\""),
                Arguments.of(
                        "\"files\":[{\"name\":\"a\",\"content\":\"x\",\"encoding\":1}]",
                        "args.files[0].encoding: must be \"utf8\" or \"base64\""),
                Arguments.of("\"limits\":[1000]", "args.limits: expected an object, got an array"),
                Arguments.of("\"limits\":1000", "args.limits: expected an object, got an integer"),
                Arguments.of("\"limits\":{\"timeoutms\":0}", "args.limits.timeoutms: must be a positive integer"),
                Arguments.of("\"limits\":{\"timeoutms\":-5}", "args.limits.timeoutms: must be a positive integer"),
                Arguments.of("\"limits\":{\"timeoutms\":1.5}", "args.limits.timeoutms: must be a positive integer"),
                Arguments.of("\"limits\":{\"timeoutms\":1.0}", "args.limits.timeoutms: must be a positive integer"),
                Arguments.of("\"limits\":{\"timeoutms\":1e3}", "args.limits.timeoutms: must be a positive integer"),
                Arguments.of(
                        "\"limits\":{\"timeoutms\":\"1000\"}", "args.limits.timeoutms: must be a positive integer"),
                Arguments.of(
                        "\"limits\":{\"memorybytes\":9223372036854775808}",
                        "args.limits.memorybytes: must be a positive integer"),
                Arguments.of(
                        "\"limits\":{\"outputbytes\":true}", "args.limits.outputbytes: must be a positive integer"),
                Arguments.of(
                        "\"limits\":{\"compiletimeoutms\":{}}",
                        "args.limits.compiletimeoutms: must be a positive integer"));
    }

    // --- KILL args -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource
    void malformedKillArgsNameTheField(String args, String message) {
        var failure = failure("{\"op\":2,\"nonce\":\"k\"," + args + "}");
        assertThat(failure.message()).isEqualTo(message);
        assertThat(failure.nonce()).isEqualTo(Nonce.of("k"));
    }

    static Stream<Arguments> malformedKillArgsNameTheField() {
        return Stream.of(
                Arguments.of("\"x\":1", "args: missing"),
                Arguments.of("\"args\":\"abc\"", "args: expected an object, got a string"),
                Arguments.of("\"args\":{}", "args.runid: missing"),
                Arguments.of("\"args\":{\"runid\":12}", "args.runid: expected a string, got an integer"),
                Arguments.of("\"args\":{\"runid\":\"\"}", "args.runid: must not be empty"));
    }

    // --- STDIN, SIGNAL, RESIZE (ours) -------------------------------------------------------------

    static final RunId RUN = new RunId("r1");

    @Test
    void stdinDecodesItsDataAndEofWithDefaults() {
        assertThat(success("{\"op\":3,\"nonce\":1,\"args\":{\"runid\":\"r1\",\"data\":\"a\\nü\"}}"))
                .isEqualTo(new Operation.Stdin(Nonce.of(1), RUN, "a\nü", false));
        assertThat(success("{\"op\":3,\"args\":{\"runid\":\"r1\",\"eof\":true}}"))
                .isEqualTo(new Operation.Stdin(Nonce.NONE, RUN, "", true));
        assertThat(success("{\"op\":3,\"args\":{\"runid\":\"r1\",\"data\":null,\"eof\":null,\"x\":1}}"))
                .isEqualTo(new Operation.Stdin(Nonce.NONE, RUN, "", false));
    }

    @Test
    void signalDecodesEveryAllowedName() {
        for (ProgramSignal signal : ProgramSignal.values()) {
            assertThat(success("{\"op\":4,\"args\":{\"runid\":\"r1\",\"signal\":\"" + signal.name() + "\"}}"))
                    .isEqualTo(new Operation.Signal(Nonce.NONE, RUN, signal));
        }
    }

    @Test
    void resizeDecodesItsBounds() {
        assertThat(success("{\"op\":5,\"nonce\":\"z\",\"args\":{\"runid\":\"r1\",\"cols\":1,\"rows\":1000}}"))
                .isEqualTo(new Operation.Resize(Nonce.of("z"), RUN, 1, 1000));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource
    void malformedInteractiveArgsNameTheField(String message, String expected) {
        var failure = failure(message);
        assertThat(failure.message()).isEqualTo(expected);
        assertThat(failure.nonce()).isEqualTo(Nonce.of(8));
    }

    static Stream<Arguments> malformedInteractiveArgsNameTheField() {
        String allowed = "SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, SIGTERM, SIGCONT, SIGSTOP";
        return Stream.of(
                Arguments.of("{\"op\":3,\"nonce\":8}", "args: missing"),
                Arguments.of("{\"op\":3,\"nonce\":8,\"args\":[\"r1\"]}", "args: expected an object, got an array"),
                Arguments.of("{\"op\":3,\"nonce\":8,\"args\":{\"data\":\"x\"}}", "args.runid: missing"),
                Arguments.of("{\"op\":3,\"nonce\":8,\"args\":{\"runid\":\"\"}}", "args.runid: must not be empty"),
                Arguments.of(
                        "{\"op\":3,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"data\":5}}",
                        "args.data: expected a string, got an integer"),
                Arguments.of(
                        "{\"op\":3,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"data\":[\"x\"]}}",
                        "args.data: expected a string, got an array"),
                Arguments.of(
                        "{\"op\":3,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"data\":\"\\ud800\"}}",
                        "args.data: invalid unicode (unpaired surrogate at index 0)"),
                Arguments.of(
                        "{\"op\":3,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"eof\":\"yes\"}}",
                        "args.eof: expected a boolean, got a string"),
                Arguments.of(
                        "{\"op\":3,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"eof\":1}}",
                        "args.eof: expected a boolean, got an integer"),
                Arguments.of("{\"op\":4,\"nonce\":8,\"args\":null}", "args: missing"),
                Arguments.of("{\"op\":4,\"nonce\":8,\"args\":{\"runid\":\"r1\"}}", "args.signal: missing"),
                Arguments.of("{\"op\":4,\"nonce\":8,\"args\":{\"signal\":\"SIGINT\"}}", "args.runid: missing"),
                Arguments.of(
                        "{\"op\":4,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"signal\":2}}",
                        "args.signal: expected a string, got an integer"),
                Arguments.of(
                        "{\"op\":4,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"signal\":\"SIGSEGV\"}}",
                        "args.signal: expected one of " + allowed),
                Arguments.of(
                        "{\"op\":4,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"signal\":\"sigint\"}}",
                        "args.signal: expected one of " + allowed),
                Arguments.of(
                        "{\"op\":4,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"signal\":\"INT\"}}",
                        "args.signal: expected one of " + allowed),
                Arguments.of("{\"op\":5,\"nonce\":8,\"args\":\"x\"}", "args: expected an object, got a string"),
                Arguments.of("{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"rows\":24}}", "args.cols: missing"),
                Arguments.of("{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"cols\":80}}", "args.rows: missing"),
                Arguments.of(
                        "{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"cols\":\"80\",\"rows\":24}}",
                        "args.cols: expected an integer, got a string"),
                Arguments.of(
                        "{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"cols\":80.5,\"rows\":24}}",
                        "args.cols: expected an integer, got a float"),
                Arguments.of(
                        "{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"cols\":0,\"rows\":24}}",
                        "args.cols: must be between 1 and 1000"),
                Arguments.of(
                        "{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"cols\":80,\"rows\":1001}}",
                        "args.rows: must be between 1 and 1000"),
                Arguments.of(
                        "{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"cols\":-5,\"rows\":24}}",
                        "args.cols: must be between 1 and 1000"),
                Arguments.of(
                        "{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"cols\":80,\"rows\":99999999999}}",
                        "args.rows: must be between 1 and 1000"),
                Arguments.of(
                        "{\"op\":5,\"nonce\":8,\"args\":{\"runid\":\"r1\",\"cols\":80,\"rows\":null}}",
                        "args.rows: missing"));
    }

    @Test
    void execReadsStdinInteractiveAndTty() {
        var exec = (Operation.Exec) success("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\","
                + "\"stdin\":\"in\\n\",\"interactive\":true,\"tty\":true}}");
        assertThat(exec.request()).isEqualTo(ExecutionRequest.of("sh", "x").withInput("in\n", true, true));
        var plain = (Operation.Exec) success("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\","
                + "\"stdin\":null,\"interactive\":null,\"tty\":null}}");
        assertThat(plain.request()).isEqualTo(ExecutionRequest.of("sh", "x"));
        assertThat(failure("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"stdin\":1}}")
                        .message())
                .isEqualTo("args.stdin: expected a string, got an integer");
        assertThat(failure("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"interactive\":\"1\"}}")
                        .message())
                .isEqualTo("args.interactive: expected a boolean, got a string");
        assertThat(failure("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"tty\":0}}")
                        .message())
                .isEqualTo("args.tty: expected a boolean, got an integer");
    }

    @Test
    void restBodyAcceptsStdinAndTtyButNotInteractive() {
        assertThat(REST_REQUESTS.decodeExecutionRequest(
                        "{\"language\":\"sh\",\"code\":\"x\",\"stdin\":\"in\",\"tty\":true,\"interactive\":false}"))
                .isEqualTo(new DecodeResult.Success(new Operation.Exec(
                        Nonce.NONE, ExecutionRequest.of("sh", "x").withInput("in", false, true))));
        var refused = (DecodeResult.Failure)
                REST_REQUESTS.decodeExecutionRequest("{\"language\":\"sh\",\"code\":\"x\",\"interactive\":true}");
        assertThat(refused.code()).isEqualTo(400);
        assertThat(refused.message()).isEqualTo("interactive runs need the WebSocket API");
        assertThat(((DecodeResult.Failure) REST_REQUESTS.decodeExecutionRequest(
                                "{\"language\":\"sh\",\"code\":\"x\",\"tty\":\"yes\"}"))
                        .message())
                .isEqualTo("tty: expected a boolean, got a string");
    }

    // --- size, depth, hostile input ---------------------------------------------------------------

    @Test
    @Timeout(10)
    void deepNestingIsRejectedWithoutOverflow() {
        for (int depth : new int[] {40, 1_000, 100_000}) {
            String text = "{\"op\":1,\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
            assertThat(failure(text).message()).isEqualTo("invalid message: nesting or size limit exceeded");
        }
        String deepArgs = "{\"op\":1,\"args\":" + "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000) + "}";
        assertThat(failure(deepArgs).message()).startsWith("invalid message:");
    }

    @Test
    void oneMegabyteStringsDecode() {
        String code = "x".repeat(1 << 20);
        String arg = "é".repeat(1 << 19);
        var exec = (Operation.Exec) success(
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"" + code + "\",\"arguments\":[\"" + arg + "\"]}}");
        assertThat(exec.request().code()).hasSize(1 << 20);
        assertThat(exec.request().arguments().get(0)).hasSize(1 << 19);
    }

    @Test
    void controlCharactersMustBeEscaped() {
        assertThat(failure("{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"a\u0001b\"}}")
                        .message())
                .startsWith("invalid message: malformed JSON");
    }

    @Test
    void errorMessagesDoNotEchoLongInput() {
        String text = "{\"op\":" + "9".repeat(10_000) + "x}";
        assertThat(failure(text).message()).hasSizeLessThan(300);
    }

    // --- REST body -------------------------------------------------------------------------------

    @Test
    void restBodyDecodesToAnExecWithoutNonceAndUnprefixedFieldNames() {
        DecodeResult ok = REST_REQUESTS.decodeExecutionRequest(
                "{\"language\":\"sh\",\"code\":\"echo\",\"arguments\":[\"\"],\"environment\":{\"K\":\"V\"}}");
        assertThat(ok)
                .isEqualTo(new DecodeResult.Success(new Operation.Exec(
                        Nonce.NONE, new ExecutionRequest("sh", "echo", false, List.of(""), Map.of("K", "V")))));
        assertThat(((DecodeResult.Failure) REST_REQUESTS.decodeExecutionRequest("{\"code\":\"x\"}")).message())
                .isEqualTo("language: missing");
        assertThat(((DecodeResult.Failure) REST_REQUESTS.decodeExecutionRequest("[1]")).message())
                .isEqualTo("request body: expected an object, got an array");
        assertThat(((DecodeResult.Failure) REST_REQUESTS.decodeExecutionRequest("{")).message())
                .startsWith("invalid request body: malformed JSON");
    }

    // --- trusted decoders ---------------------------------------------------------------------------

    @Test
    void specMapErrorsNameTheKey() {
        assertThatThrownBy(() -> SPECS.read("{\"go\":{\"image\":3}}"))
                .hasMessage("go.image: expected a string, got an integer");
        assertThatThrownBy(() -> SPECS.read("{\"go\":{\"inline\":{\"import_regex\":\"x\"}}}"))
                .hasMessage("go.inline.template: missing");
        assertThatThrownBy(() -> SPECS.read("{\"go\":\"golang\"}")).hasMessage("go: expected an object, got a string");
        assertThatThrownBy(() -> SPECS.read("[]"))
                .hasMessage("spec map: expected an object of language specs, got an array");
        assertThat(SPECS.read("null")).isEqualTo(SpecMap.EMPTY);
    }

    @Test
    void decodingNeverThrowsOnArbitraryPrefixesOfValidMessages() {
        String valid = Golden.read("ops/exec-full.json");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (int end = 0; end <= valid.length() && System.nanoTime() < deadline; end++) {
            DecodeResult result = OPERATIONS.decode(valid.substring(0, end));
            assertThat(result).isNotNull();
        }
    }
}
