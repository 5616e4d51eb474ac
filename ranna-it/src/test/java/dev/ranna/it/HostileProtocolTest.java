package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.RannaEngine;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile protocol input over a real socket against a real {@link RannaServer} (port 0, process sandbox
 * with bubblewrap): a corpus of malformed and adversarial messages, raw frame-level attacks, floods and
 * EXEC storms. Every message must get the documented ERROR (or PONG, or close code), while a long run on
 * the same connection keeps streaming, a second connection keeps working and the server stays up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostileProtocolTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int MAX_MESSAGE = 256 * 1024;
    private static final int MAX_CODE = 16 * 1024;
    private static final int MAX_ARGS = 8 * 1024;
    private static final int MAX_STDIN = 64 * 1024;
    private static final String FOREVER = "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done";

    private final Summary summary = new Summary(
            "hostile-protocol",
            "Hostile protocol input (`HostileProtocolTest`)",
            "mvn -pl ranna-it verify",
            "A real `RannaServer` on port 0 with the process sandbox (bubblewrap), driven by a WebSocket client"
                    + " written on a plain socket (`RawWebSocket`), so it can send what no client library sends."
                    + " Every message of the corpus (wrong types in every field of every op, huge values,"
                    + " nesting, unknown ops, bad nonces) must get its documented ERROR or PONG, in order, on a"
                    + " connection whose own long run keeps streaming and is still KILLable afterwards; frame"
                    + " attacks (invalid UTF-8, bad fragmentation, reserved bits, oversized and control frames)"
                    + " must get the RFC 6455 / protocol close code; a second connection keeps working and the"
                    + " server stays up.");

    private RannaServer server;
    private RawWebSocket main;
    private RawWebSocket other;
    private RunId mainRun;
    private RunId otherRun;
    private final AtomicLong nonces = new AtomicLong(1000);
    private final List<String> failures = new ArrayList<>();

    @BeforeAll
    void start() throws IOException {
        summary.declare(
                "corpus messages sent (text frames, one connection)",
                "corpus messages answered as documented",
                "frame-level attacks (own connection each)",
                "frame-level attacks answered as documented",
                "protocol PINGs in the flood",
                "WebSocket ping frames in the flood",
                "EXECs in the storms",
                "EXECs answered as documented in the storms",
                "interactive messages sent",
                "interactive messages answered as documented",
                "unexpected or missing answers");
        RannaEngine engine = Engines.process(
                Engines.limits()
                        .timeout(Duration.ofSeconds(150))
                        .maxCodeBytes(MAX_CODE)
                        .maxArgumentBytes(MAX_ARGS)
                        .maxStdinBufferBytes(MAX_STDIN)
                        .build(),
                Engines.processConfig());
        server = Engines.server(
                engine, ServerOptions.builder().maxMessageBytes(MAX_MESSAGE).build());
        main = RawWebSocket.connect(server.port());
        other = RawWebSocket.connect(server.port());
        mainRun = startForever(main, Nonce.of(1));
        otherRun = startForever(other, Nonce.of(2));
    }

    @AfterAll
    void stop() {
        summary.set("server up at the end", server != null && isUp());
        summary.write();
        if (main != null) {
            main.close();
        }
        if (other != null) {
            other.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private boolean isUp() {
        try (RawWebSocket probe = RawWebSocket.connect(server.port())) {
            probe.sendText("{\"op\":0,\"nonce\":\"up\"}");
            Event e = probe.nextEvent(WAIT);
            return new Event.Pong(Nonce.of("up")).equals(e);
        } catch (IOException e) {
            return false;
        }
    }

    private RunId startForever(RawWebSocket ws, Nonce nonce) throws IOException {
        ws.sendText(exec(nonce, FOREVER));
        Event spawn = ws.nextEvent(WAIT);
        assertThat(spawn).isInstanceOf(Event.Spawn.class);
        Event log = ws.nextEvent(WAIT);
        assertThat(log).isInstanceOf(Event.Log.class);
        return ((Event.Spawn) spawn).runId();
    }

    private static String exec(Nonce nonce, String code) {
        return "{\"op\":1,\"nonce\":" + nonceJson(nonce) + ",\"args\":{\"language\":\"sh\",\"code\":" + q(code) + "}}";
    }

    // ---------------------------------------------------------------------------------------------
    // Expectations

    /** What one message must be answered with. */
    record Expect(boolean pong, int code, String contains, Nonce nonce) {
        static Expect error(int code, String contains, Nonce nonce) {
            return new Expect(false, code, contains, nonce);
        }

        static Expect pong(Nonce nonce) {
            return new Expect(true, 0, "", nonce);
        }

        boolean matches(@Nullable Event event) {
            if (event == null || !event.nonce().equals(nonce)) {
                return false;
            }
            if (pong) {
                return event instanceof Event.Pong;
            }
            return event instanceof Event.Error
                    && ((Event.Error) event).code() == code
                    && ((Event.Error) event).message().contains(contains);
        }

        @Override
        public String toString() {
            return pong ? "PONG " + nonce : "ERROR " + code + " '" + contains + "' " + nonce;
        }
    }

    record Case(String name, String text, Expect expect) {}

    /** The next event that is not output of the connection's long run. */
    private @Nullable Event nextAnswer(RawWebSocket ws, RunId longRun) throws IOException {
        while (true) {
            Event e = ws.nextEvent(WAIT);
            if (e instanceof Event.Log && ((Event.Log) e).runId().equals(longRun)) {
                continue;
            }
            return e;
        }
    }

    /** After a mismatch: skip to the answer of a fresh PING, so the next case starts in step. */
    private void resync(RawWebSocket ws, RunId longRun) throws IOException {
        Nonce sync = Nonce.of("sync-" + nonces.incrementAndGet());
        ws.sendText("{\"op\":0,\"nonce\":" + nonceJson(sync) + "}");
        for (int i = 0; i < 1000; i++) {
            Event e = nextAnswer(ws, longRun);
            if (e == null || new Event.Pong(sync).equals(e)) {
                return;
            }
        }
    }

    private boolean check(String what, Expect expect, @Nullable Event got) {
        if (expect.matches(got)) {
            return true;
        }
        String shown = what.length() > 200 ? what.substring(0, 200) + "..." : what;
        failures.add(shown + ": expected " + expect + ", got " + got);
        summary.count("unexpected or missing answers");
        return false;
    }

    // ---------------------------------------------------------------------------------------------
    // The corpus

    private Nonce n() {
        return Nonce.of(nonces.incrementAndGet());
    }

    private static String nonceJson(Nonce nonce) {
        if (nonce instanceof Nonce.Numeric) {
            return Long.toString(((Nonce.Numeric) nonce).value());
        }
        if (nonce instanceof Nonce.Text) {
            return q(((Nonce.Text) nonce).value());
        }
        return "null";
    }

    /** A JSON string literal for {@code s} (non-ASCII kept raw, control characters escaped). */
    static String q(String s) {
        var sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static String repeat(String s, int n) {
        return s.repeat(n);
    }

    /** An EXEC with {@code args} spliced in raw. */
    private static String execRaw(Nonce nonce, String rawArgs) {
        return "{\"op\":1,\"nonce\":" + nonceJson(nonce) + ",\"args\":" + rawArgs + "}";
    }

    /** EXEC args with one field replaced by raw JSON (or removed when {@code raw} is null). */
    private static String args(String field, @Nullable String raw) {
        var sb = new StringBuilder("{");
        String[][] fields = {{"language", "\"sh\""}, {"code", "\"echo hi\""}};
        for (String[] f : fields) {
            if (f[0].equals(field)) {
                continue;
            }
            sb.append(q(f[0])).append(':').append(f[1]).append(',');
        }
        if (raw != null) {
            sb.append(q(field)).append(':').append(raw).append(',');
        }
        sb.setLength(sb.length() - 1);
        return sb.append('}').toString();
    }

    private List<Case> corpus(RunId foreignRun, RunId finishedRun) {
        var cases = new ArrayList<Case>();
        Nonce none = Nonce.NONE;

        // 1. Not JSON, not an object, malformed: ERROR 400 "invalid message: ...", no nonce.
        List<String> malformed = new ArrayList<>(List.of(
                "",
                " ",
                "\n\t",
                "null",
                "true",
                "false",
                "0",
                "-1",
                "1.5",
                "\"op\"",
                "[]",
                "[{\"op\":0}]",
                "{",
                "}",
                "{\"op\":0",
                "{\"op\":0}}",
                "{op:0}",
                "{'op':0}",
                "{\"op\":0,}",
                "{\"op\":0} x",
                "{\"op\":0}{\"op\":0}",
                "{\"op\":NaN}",
                "{\"op\":Infinity}",
                "/*c*/{\"op\":0}",
                "// c\n{\"op\":0}",
                "{\"op\":0,\"op\":0}",
                "{\"op\":0,\"nonce\":1,\"nonce\":2}",
                "\u0000",
                "{\"op\":01}",
                "{\"op\":0x1}",
                "{\"op\":+1}",
                "{\"op\":.5}",
                "{\"op\":1e}",
                "{\"op\":0,\"nonce\":\"\\x\"}",
                "{\"op\":0,\"nonce\":\"\\u12\"}",
                "{\"op\":0,\"nonce\":\"abc}",
                "{\"op\":0,\"nonce\":\"a\nb\"}",
                "{\"op\":tru}",
                "{\"op\":0,\"args\":{\"a\":}}",
                "{\"op\":0,\"args\":[1,2,,3]}",
                "{\"op\" 0}",
                "{\"op\":0 \"nonce\":1}",
                "\uFEFF{\"op\":0}",
                "{\"op\":" + "9".repeat(5000) + "}",
                "{\"op\":0,\"nonce\":" + "1".repeat(5000) + "}",
                "{\"op\":0,\"x\":1" + "0".repeat(5000) + ".5}",
                repeat("[", 10_000),
                repeat("{\"a\":", 10_000) + "1" + repeat("}", 10_000),
                "{\"op\":1,\"nonce\":5,\"args\":" + repeat("[", 1000) + repeat("]", 1000) + "}",
                "{\"op\":0,\"nonce\":5,\"x\":" + repeat("{\"a\":", 40) + "1" + repeat("}", 40) + "}"));
        for (String text : malformed) {
            cases.add(new Case("malformed", text, Expect.error(400, "invalid message", none)));
        }

        // 2. op: missing, wrong type, out of range. The nonce is echoed.
        String[] missingOps = {"", ",\"op\":null"};
        for (String op : missingOps) {
            Nonce nonce = n();
            cases.add(new Case(
                    "op missing",
                    "{\"nonce\":" + nonceJson(nonce) + op + "}",
                    Expect.error(400, "op is missing", nonce)));
        }
        for (String op : List.of(
                "\"0\"", "\"1\"", "0.0", "1.5", "1e0", "-0.0", "true", "false", "[]", "{}", "[0]", "{\"x\":0}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "op " + op,
                    "{\"op\":" + op + ",\"nonce\":" + nonceJson(nonce) + "}",
                    Expect.error(400, "op must be an integer", nonce)));
        }
        for (String op : List.of(
                "-1",
                "6",
                "7",
                "100",
                "2147483648",
                "9223372036854775807",
                "-9223372036854775808",
                "99999999999999999999999")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "op " + op,
                    "{\"op\":" + op + ",\"nonce\":" + nonceJson(nonce) + ",\"args\":" + args("x", null) + "}",
                    Expect.error(400, "invalid operation code", nonce)));
        }

        // 3. nonce of a wrong type, for each op: "invalid nonce", no nonce echoed.
        for (int op = 0; op <= 5; op++) {
            for (String nonce : List.of(
                    "1.5",
                    "true",
                    "false",
                    "[]",
                    "{}",
                    "[1]",
                    "{\"a\":1}",
                    "18446744073709551616",
                    "-9223372036854775809",
                    "1e3",
                    "\"\\ud800\"")) {
                cases.add(new Case(
                        "nonce " + nonce,
                        "{\"op\":" + op + ",\"nonce\":" + nonce + ",\"args\":" + args("x", null) + "}",
                        Expect.error(400, "invalid nonce", none)));
            }
        }
        // Odd but valid nonces: echoed exactly.
        for (Nonce nonce : List.of(
                Nonce.of(0),
                Nonce.of(-1),
                Nonce.of(Long.MAX_VALUE),
                Nonce.of(Long.MIN_VALUE),
                Nonce.of(""),
                Nonce.of(" "),
                Nonce.of("ünï©ødé 👋"),
                Nonce.of("\u0000"),
                Nonce.of("x".repeat(10_000)),
                Nonce.of("123"),
                Nonce.of("null"),
                Nonce.of("\"}{\\"))) {
            cases.add(new Case("odd nonce", "{\"op\":0,\"nonce\":" + nonceJson(nonce) + "}", Expect.pong(nonce)));
        }
        cases.add(new Case("null nonce", "{\"op\":0,\"nonce\":null}", Expect.pong(none)));
        cases.add(new Case("-0 is op 0", "{\"op\":-0,\"nonce\":77}", Expect.pong(Nonce.of(77))));

        // 4. PING ignores args whatever they are; unknown fields are ignored.
        for (String args :
                List.of("null", "1", "\"x\"", "[]", "{}", "true", "{\"deep\":[[[[]]]]}", q("x".repeat(100_000)))) {
            Nonce nonce = n();
            cases.add(new Case(
                    "ping args " + args,
                    "{\"op\":0,\"nonce\":" + nonceJson(nonce) + ",\"args\":" + args + "}",
                    Expect.pong(nonce)));
        }
        Nonce unknownFields = n();
        cases.add(new Case(
                "unknown fields",
                "{\"x\":[1,2],\"op\":0,\"y\":{\"z\":null},\"nonce\":" + nonceJson(unknownFields) + "}",
                Expect.pong(unknownFields)));
        Nonce padded = n();
        cases.add(new Case(
                "200k of whitespace",
                " ".repeat(200_000) + "{\"op\":0,\"nonce\":" + nonceJson(padded) + "}",
                Expect.pong(padded)));
        Nonce depth = n();
        cases.add(new Case(
                "nesting at the limit",
                "{\"op\":0,\"nonce\":" + nonceJson(depth) + ",\"x\":" + repeat("[", 31) + repeat("]", 31) + "}",
                Expect.pong(depth)));

        // 5. EXEC args.
        for (String a : List.of("null", "\"x\"", "1", "1.5", "true", "[]", "[{}]")) {
            Nonce nonce = n();
            cases.add(new Case("exec args " + a, execRaw(nonce, a), Expect.error(400, "args", nonce)));
        }
        Nonce noArgs = n();
        cases.add(new Case(
                "exec without args",
                "{\"op\":1,\"nonce\":" + nonceJson(noArgs) + "}",
                Expect.error(400, "args: missing", noArgs)));
        for (String field : List.of("language", "code")) {
            for (String raw : Lists.of(null, "null", "1", "1.5", "true", "[]", "{}", "[\"sh\"]", "\"\\udc00\"")) {
                Nonce nonce = n();
                cases.add(new Case(
                        field + " " + raw,
                        execRaw(nonce, args(field, raw)),
                        Expect.error(400, "args." + field, nonce)));
            }
        }
        for (String language : List.of(
                "", "nope", "SH", "sh ", " sh", "sh\u0000", "../sh", "x".repeat(10_000), "python3", "__proto__")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "language " + language,
                    execRaw(nonce, args("language", q(language))),
                    Expect.error(400, "unsupported language spec", nonce)));
        }
        Nonce emptyCode = n();
        cases.add(new Case(
                "empty code", execRaw(emptyCode, args("code", "\"\"")), Expect.error(400, "code is empty", emptyCode)));
        for (String code :
                List.of("x".repeat(MAX_CODE + 1), "€".repeat(MAX_CODE / 3 + 1), "😀".repeat(MAX_CODE / 4 + 1))) {
            Nonce nonce = n();
            cases.add(new Case(
                    "code too large",
                    execRaw(nonce, args("code", q(code))),
                    Expect.error(413, "code is too large", nonce)));
        }
        for (String raw : List.of("\"true\"", "1", "0", "\"false\"", "[]", "{}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "inline " + raw,
                    execRaw(nonce, args("inline_expression", raw)),
                    Expect.error(400, "inline_expression", nonce)));
        }
        Nonce inline = n();
        cases.add(new Case(
                "inline on sh",
                execRaw(inline, args("inline_expression", "true")),
                Expect.error(400, "no support for inline expressions", inline)));
        for (String raw : List.of("\"a\"", "1", "true", "{}", "{\"0\":\"a\"}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "arguments " + raw,
                    execRaw(nonce, args("arguments", raw)),
                    Expect.error(400, "args.arguments: expected an array", nonce)));
        }
        for (String raw : List.of("[1]", "[null]", "[true]", "[[]]", "[{}]", "[\"a\",1]", "[\"\\ud800\"]")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "arguments " + raw,
                    execRaw(nonce, args("arguments", raw)),
                    Expect.error(400, "args.arguments[", nonce)));
        }
        for (String raw : List.of("[\"\\u0000\"]", "[\"a\",\"b\\u0000c\"]")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "arguments " + raw,
                    execRaw(nonce, args("arguments", raw)),
                    Expect.error(400, "must not contain a NUL", nonce)));
        }
        String manyArgs = "[" + String.join(",", java.util.Collections.nCopies(MAX_ARGS, "\"a\"")) + "]";
        for (String raw : List.of(manyArgs, "[" + q("x".repeat(MAX_ARGS + 1)) + "]")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "arguments too large",
                    execRaw(nonce, args("arguments", raw)),
                    Expect.error(413, "too large", nonce)));
        }
        for (String raw : List.of("\"a\"", "1", "[]", "[\"A\"]", "true")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "environment " + raw,
                    execRaw(nonce, args("environment", raw)),
                    Expect.error(400, "args.environment: expected an object", nonce)));
        }
        for (String raw : List.of("{\"A\":1}", "{\"A\":null}", "{\"A\":true}", "{\"A\":[]}", "{\"A\":{}}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "environment " + raw,
                    execRaw(nonce, args("environment", raw)),
                    Expect.error(400, "args.environment.A: expected a string", nonce)));
        }
        for (String raw : List.of("{\"\":\"x\"}", "{\"A=B\":\"x\"}", "{\"A\\u0000\":\"x\"}", "{\"=\":\"\"}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "environment " + raw,
                    execRaw(nonce, args("environment", raw)),
                    Expect.error(400, "invalid variable name", nonce)));
        }
        Nonce envNul = n();
        cases.add(new Case(
                "environment NUL value",
                execRaw(envNul, args("environment", "{\"A\":\"x\\u0000\"}")),
                Expect.error(400, "must not contain a NUL", envNul)));
        // A broken surrogate in a field name is already malformed JSON to the parser.
        cases.add(new Case(
                "environment key with a lone surrogate",
                execRaw(n(), args("environment", "{\"\\ud800\":\"x\"}")),
                Expect.error(400, "invalid message: malformed JSON", none)));
        for (String raw : List.of("{\"A\":\"\\udfff\"}", "{\"A\":\"x\\ud800\"}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "environment " + raw,
                    execRaw(nonce, args("environment", raw)),
                    Expect.error(400, "invalid unicode", nonce)));
        }
        var env = new StringBuilder("{");
        for (int i = 0; i < MAX_ARGS / 8; i++) {
            env.append("\"V").append(i).append("\":\"vvvvvv\",");
        }
        env.setCharAt(env.length() - 1, '}');
        for (String raw : List.of(env.toString(), "{\"A\":" + q("x".repeat(MAX_ARGS)) + "}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "environment too large",
                    execRaw(nonce, args("environment", raw)),
                    Expect.error(413, "too large", nonce)));
        }

        // 6. KILL.
        for (String raw : List.of("null", "\"x\"", "1", "[]", "true")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "kill args " + raw,
                    "{\"op\":2,\"nonce\":" + nonceJson(nonce) + ",\"args\":" + raw + "}",
                    Expect.error(400, "args", nonce)));
        }
        Nonce killNoArgs = n();
        cases.add(new Case(
                "kill without args",
                "{\"op\":2,\"nonce\":" + nonceJson(killNoArgs) + "}",
                Expect.error(400, "args: missing", killNoArgs)));
        for (String raw : List.of(
                "{}", "{\"runid\":null}", "{\"runid\":1}", "{\"runid\":true}", "{\"runid\":[]}", "{\"runid\":{}}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "kill " + raw,
                    "{\"op\":2,\"nonce\":" + nonceJson(nonce) + ",\"args\":" + raw + "}",
                    Expect.error(400, "args.runid", nonce)));
        }
        Nonce emptyRun = n();
        cases.add(new Case(
                "kill empty runid",
                "{\"op\":2,\"nonce\":" + nonceJson(emptyRun) + ",\"args\":{\"runid\":\"\"}}",
                Expect.error(400, "must not be empty", emptyRun)));
        for (String runId : List.of(
                "deadbeef",
                "0".repeat(64),
                "x".repeat(100_000),
                "../../etc/passwd",
                mainRun.value().toUpperCase(java.util.Locale.ROOT),
                mainRun.value() + " ",
                foreignRun.value(),
                finishedRun.value())) {
            Nonce nonce = n();
            cases.add(new Case(
                    "kill " + (runId.equals(foreignRun.value()) ? "another connection's run" : runId),
                    "{\"op\":2,\"nonce\":" + nonceJson(nonce) + ",\"args\":{\"runid\":" + q(runId) + "}}",
                    Expect.error(400, "sandbox is not running", nonce)));
        }
        interactiveCases(cases, foreignRun, finishedRun);
        projectCases(cases);
        return cases;
    }

    /** Raw JSON of one of our ops (3 STDIN, 4 SIGNAL, 5 RESIZE) with {@code rawArgs} spliced in. */
    private static String op(int op, Nonce nonce, String rawArgs) {
        return "{\"op\":" + op + ",\"nonce\":" + nonceJson(nonce) + ",\"args\":" + rawArgs + "}";
    }

    private static String runArg(RunId run) {
        return "\"runid\":" + q(run.value());
    }

    /**
     * 8. Projects: EXEC {@code files} and {@code limits} of every wrong shape (refused by the decoder, naming
     * the field), names that try to leave the work directory, bad base64, too many or too large files, and
     * limits above the server's. What the engine judges depends on the sandbox: without the {@code files}
     * feature every {@code files} is refused as unsupported, and without {@code limits} so is {@code
     * limits.memorybytes}; the answers are expected as {@code /v1/info}'s features say.
     */
    private void projectCases(List<Case> cases) {
        List<String> features = server.engine().features();
        boolean files = features.contains("files");
        boolean limits = features.contains("limits");
        String file = "{\"name\":\"a.txt\",\"content\":\"x\"}";
        Object[][] shapes = {
            {"files", "{}", "args.files: expected an array of objects"},
            {"files", "\"a.txt\"", "args.files: expected an array of objects"},
            {"files", "[" + file + ",1]", "args.files[1]: expected an object"},
            {"files", "[null]", "args.files[0]: expected an object"},
            {"files", "[{\"content\":\"x\"}]", "args.files[0].name: missing"},
            {"files", "[{\"name\":[\"a\"],\"content\":\"x\"}]", "args.files[0].name: expected a string"},
            {"files", "[{\"name\":\"a\"}]", "args.files[0].content: missing"},
            {"files", "[{\"name\":\"a\",\"content\":{\"b64\":\"AA==\"}}]", "args.files[0].content: must be a string"},
            {"files", "[{\"name\":\"a\",\"content\":\"\\udc00\"}]", "args.files[0].content: invalid unicode"},
            {
                "files",
                "[" + file + "," + file + ",{\"name\":\"b\",\"content\":\"x\",\"encoding\":\"hex\"}]",
                "args.files[2].encoding: must be \"utf8\" or \"base64\""
            },
            {"files", "[{\"name\":\"a\",\"content\":\"x\",\"encoding\":\"UTF-8\"}]", "args.files[0].encoding: must be"},
            {
                "files",
                "[{\"name\":\"a\",\"content\":\"x\",\"encoding\":[\"base64\"]}]",
                "args.files[0].encoding: must be"
            },
            {"limits", "[]", "args.limits: expected an object"},
            {"limits", "5000", "args.limits: expected an object"},
            {"limits", "{\"timeoutms\":0}", "args.limits.timeoutms: must be a positive integer"},
            {"limits", "{\"timeoutms\":-1}", "args.limits.timeoutms: must be a positive integer"},
            {"limits", "{\"timeoutms\":1.5}", "args.limits.timeoutms: must be a positive integer"},
            {"limits", "{\"timeoutms\":1e3}", "args.limits.timeoutms: must be a positive integer"},
            {"limits", "{\"timeoutms\":\"1000\"}", "args.limits.timeoutms: must be a positive integer"},
            {"limits", "{\"compiletimeoutms\":true}", "args.limits.compiletimeoutms: must be a positive integer"},
            {"limits", "{\"memorybytes\":9223372036854775808}", "args.limits.memorybytes: must be a positive integer"},
            {
                "limits",
                "{\"outputbytes\":" + "9".repeat(400) + "}",
                "args.limits.outputbytes: must be a positive integer"
            },
            {"limits", "{\"outputbytes\":{\"max\":1}}", "args.limits.outputbytes: must be a positive integer"},
        };
        for (Object[] shape : shapes) {
            Nonce nonce = n();
            cases.add(new Case(
                    shape[0] + " " + shape[1],
                    execRaw(nonce, args((String) shape[0], (String) shape[1])),
                    Expect.error(400, (String) shape[2], nonce)));
        }

        // Names and contents the engine judges (files must be supported to get that far).
        String unsupported = "this server's sandbox does not support files";
        Object[][] named = {
            {"[{\"name\":\"../escape\",\"content\":\"x\"}]", "files[0].name: must be a relative path without '..'"},
            {
                "[" + file + ",{\"name\":\"d/../../../etc/x\",\"content\":\"x\"}]",
                "files[1].name: must be a relative path without '..'"
            },
            {"[{\"name\":\"/etc/passwd\",\"content\":\"x\"}]", "files[0].name: must be a relative path"},
            {"[{\"name\":\"..\\\\x\",\"content\":\"x\"}]", "files[0].name: must not contain a backslash"},
            {"[{\"name\":\"a\\u0000b\",\"content\":\"x\"}]", "files[0].name: must not contain NUL"},
            {"[{\"name\":\"\",\"content\":\"x\"}]", "files[0].name: must not be empty"},
            {"[{\"name\":\"./a\",\"content\":\"x\"}]", "files[0].name: must not have an empty or '.' segment"},
            {"[{\"name\":\"a//b\",\"content\":\"x\"}]", "files[0].name: must not have an empty or '.' segment"},
            {"[{\"name\":" + q("n".repeat(256)) + ",\"content\":\"x\"}]", "files[0].name: must be at most 255 bytes"},
            {"[{\"name\":\"main.sh\",\"content\":\"x\"}]", "files[0].name: must not be the main file's name"},
            {"[" + file + "," + file + "]", "files[1].name: duplicate of files[0]"},
            {
                "[{\"name\":\"d\",\"content\":\"x\"},{\"name\":\"d/e\",\"content\":\"x\"}]",
                "files[1].name: a directory in its path is files[0]"
            },
            {"[{\"name\":\"b\",\"content\":\"AAE\",\"encoding\":\"base64\"}]", "files[0].content: not valid base64"},
            {"[{\"name\":\"b\",\"content\":\"AA==\\n\",\"encoding\":\"base64\"}]", "files[0].content: not valid base64"
            },
        };
        for (Object[] name : named) {
            Nonce nonce = n();
            cases.add(new Case(
                    "files " + name[0],
                    execRaw(nonce, args("files", (String) name[0])),
                    Expect.error(400, files ? (String) name[1] : unsupported, nonce)));
        }
        var many = new StringBuilder("[");
        for (int i = 0; i < 65; i++) {
            many.append("{\"name\":\"f").append(i).append("\",\"content\":\"\"},");
        }
        many.setCharAt(many.length() - 1, ']');
        Nonce tooMany = n();
        cases.add(new Case(
                "65 files",
                execRaw(tooMany, args("files", many.toString())),
                Expect.error(400, files ? "files: too many files: 65, the limit is 64" : unsupported, tooMany)));
        // Small code, a file that decodes past the code size limit: the decoded bytes count.
        Nonce tooLarge = n();
        String big = java.util.Base64.getEncoder().encodeToString(new byte[MAX_CODE]);
        cases.add(new Case(
                "a base64 file past the code size",
                execRaw(
                        tooLarge,
                        args("files", "[{\"name\":\"big\",\"content\":" + q(big) + ",\"encoding\":\"base64\"}]")),
                files
                        ? Expect.error(413, "code, stdin and files are too large", tooLarge)
                        : Expect.error(400, unsupported, tooLarge)));

        // Limits above the server's own (timeout 150 s, output 1M, memory 64M).
        Nonce timeout = n();
        cases.add(new Case(
                "timeoutms above the server's",
                execRaw(timeout, args("limits", "{\"timeoutms\":150001}")),
                Expect.error(400, "limits.timeoutms: at most 150000", timeout)));
        Nonce output = n();
        cases.add(new Case(
                "outputbytes above the server's",
                execRaw(output, args("limits", "{\"outputbytes\":9223372036854775807}")),
                Expect.error(400, "limits.outputbytes: at most ", output)));
        Nonce memory = n();
        cases.add(new Case(
                "memorybytes above the server's",
                execRaw(memory, args("limits", "{\"memorybytes\":67108865}")),
                Expect.error(
                        400,
                        limits
                                ? "limits.memorybytes: at most 67108864"
                                : "this server's sandbox does not support limits.memorybytes",
                        memory)));
    }

    /**
     * 7. Our ops (STDIN, SIGNAL, RESIZE) and EXEC fields (stdin, interactive, tty): wrong types, missing
     * args, values out of range, and run ids that are not this connection's running runs, which must all
     * get the same answer. What depends on the sandbox's features (SIGNAL is refused as a whole by a
     * sandbox without signals) is expected as /v1/info's features say; {@link
     * #interactiveRunsGetTheirDocumentedAnswersAndTheConnectionStaysUsable} needs them all.
     */
    private void interactiveCases(List<Case> cases, RunId foreignRun, RunId finishedRun) {
        List<String> features = server.engine().features();
        summary.set("sandbox features", String.join(" ", features));
        for (int op = 3; op <= 5; op++) {
            for (String raw : List.of("null", "\"x\"", "1", "[]", "true")) {
                Nonce nonce = n();
                cases.add(new Case("op " + op + " args " + raw, op(op, nonce, raw), Expect.error(400, "args", nonce)));
            }
            Nonce noArgs = n();
            cases.add(new Case(
                    "op " + op + " without args",
                    "{\"op\":" + op + ",\"nonce\":" + nonceJson(noArgs) + "}",
                    Expect.error(400, "args: missing", noArgs)));
            for (String raw : List.of(
                    "{}",
                    "{\"runid\":null}",
                    "{\"runid\":1}",
                    "{\"runid\":true}",
                    "{\"runid\":[]}",
                    "{\"runid\":{}}")) {
                Nonce nonce = n();
                cases.add(new Case("op " + op + " " + raw, op(op, nonce, raw), Expect.error(400, "args.runid", nonce)));
            }
            Nonce emptyRun = n();
            cases.add(new Case(
                    "op " + op + " empty runid",
                    op(op, emptyRun, "{\"runid\":\"\"}"),
                    Expect.error(400, "must not be empty", emptyRun)));
        }
        // STDIN
        for (String raw : List.of("1", "1.5", "true", "[]", "{}", "[\"x\"]")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "stdin data " + raw,
                    op(3, nonce, "{" + runArg(mainRun) + ",\"data\":" + raw + "}"),
                    Expect.error(400, "args.data: expected a string", nonce)));
        }
        for (String raw : List.of("\"\\ud800\"", "\"x\\udfff\"")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "stdin data " + raw,
                    op(3, nonce, "{" + runArg(mainRun) + ",\"data\":" + raw + "}"),
                    Expect.error(400, "args.data: invalid unicode", nonce)));
        }
        for (String raw : List.of("\"true\"", "1", "0", "[]", "{}")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "stdin eof " + raw,
                    op(3, nonce, "{" + runArg(mainRun) + ",\"eof\":" + raw + "}"),
                    Expect.error(400, "args.eof: expected a boolean", nonce)));
        }
        // SIGNAL
        for (String raw : Lists.of(null, "null")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "signal " + raw,
                    op(4, nonce, "{" + runArg(mainRun) + (raw == null ? "" : ",\"signal\":" + raw) + "}"),
                    Expect.error(400, "args.signal: missing", nonce)));
        }
        for (String raw : List.of("2", "9", "true", "[]", "{}", "[\"SIGINT\"]")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "signal " + raw,
                    op(4, nonce, "{" + runArg(mainRun) + ",\"signal\":" + raw + "}"),
                    Expect.error(400, "args.signal: expected a string", nonce)));
        }
        for (String name : List.of(
                "SIGSEGV",
                "SIGALRM",
                "SIGWINCH",
                "SIGBUS",
                "sigint",
                "INT",
                "SIGINT ",
                "",
                "SIGKILL\u0000",
                "SIG" + "X".repeat(10_000))) {
            Nonce nonce = n();
            cases.add(new Case(
                    "signal " + (name.length() > 20 ? "very long" : name),
                    op(4, nonce, "{" + runArg(mainRun) + ",\"signal\":" + q(name) + "}"),
                    Expect.error(
                            400,
                            "args.signal: expected one of SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, SIGTERM,"
                                    + " SIGCONT, SIGSTOP",
                            nonce)));
        }
        // RESIZE
        for (String[] field : new String[][] {{"cols", "\"rows\":24"}, {"rows", "\"cols\":80"}}) {
            String name = field[0];
            Nonce missing = n();
            cases.add(new Case(
                    "resize " + name + " missing",
                    op(5, missing, "{" + runArg(mainRun) + "," + field[1] + "}"),
                    Expect.error(400, "args." + name + ": missing", missing)));
            for (String raw : List.of("\"80\"", "80.5", "1e2", "true", "[]", "{}")) {
                Nonce nonce = n();
                cases.add(new Case(
                        "resize " + name + " " + raw,
                        op(5, nonce, "{" + runArg(mainRun) + "," + field[1] + ",\"" + name + "\":" + raw + "}"),
                        Expect.error(400, "args." + name + ": expected an integer", nonce)));
            }
            for (String raw : List.of("0", "-1", "1001", "2147483648", "-2147483649", "99999999999999999999")) {
                Nonce nonce = n();
                cases.add(new Case(
                        "resize " + name + " " + raw,
                        op(5, nonce, "{" + runArg(mainRun) + "," + field[1] + ",\"" + name + "\":" + raw + "}"),
                        Expect.error(400, "args." + name + ": must be between 1 and 1000", nonce)));
            }
        }
        // Run ids that are not this connection's running runs: one answer for all, whatever the op.
        String signalOwnership = features.contains("signals")
                ? "sandbox is not running"
                : "this server's sandbox does not support signals";
        for (String runId : List.of(
                "deadbeef",
                "0".repeat(64),
                "x".repeat(100_000),
                "../../etc/passwd",
                mainRun.value().toUpperCase(java.util.Locale.ROOT),
                mainRun.value() + " ",
                foreignRun.value(),
                finishedRun.value())) {
            String shown = runId.equals(foreignRun.value())
                    ? "another connection's run"
                    : runId.equals(finishedRun.value()) ? "a finished run" : runId.length() > 70 ? "long" : runId;
            String id = "\"runid\":" + q(runId);
            for (String[] attempt : new String[][] {
                {"3", "{" + id + ",\"data\":\"x\"}", "sandbox is not running"},
                {"3", "{" + id + ",\"data\":\"\",\"eof\":true}", "sandbox is not running"},
                {"4", "{" + id + ",\"signal\":\"SIGINT\"}", signalOwnership},
                {"4", "{" + id + ",\"signal\":\"SIGKILL\"}", signalOwnership},
                {"5", "{" + id + ",\"cols\":100,\"rows\":40}", "sandbox is not running"}
            }) {
                Nonce nonce = n();
                cases.add(new Case(
                        "op " + attempt[0] + " to " + shown,
                        op(Integer.parseInt(attempt[0]), nonce, attempt[1]),
                        Expect.error(400, attempt[2], nonce)));
            }
        }
        // This connection's own long run has neither open input nor a terminal.
        for (String raw : List.of("\"data\":\"x\"", "\"data\":\"\",\"eof\":true", "\"eof\":false")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "stdin to a run that is not interactive " + raw,
                    op(3, nonce, "{" + runArg(mainRun) + "," + raw + "}"),
                    Expect.error(400, "stdin is not open", nonce)));
        }
        Nonce noTerminal = n();
        cases.add(new Case(
                "resize a run without tty",
                op(5, noTerminal, "{" + runArg(mainRun) + ",\"cols\":80,\"rows\":24}"),
                Expect.error(400, "run has no terminal", noTerminal)));
        // EXEC's fields.
        for (String[] field : new String[][] {
            {"stdin", "args.stdin: expected a string", "1", "true", "[]", "{}", "[\"x\"]"},
            {"interactive", "args.interactive: expected a boolean", "\"yes\"", "1", "0", "[]", "{}"},
            {"tty", "args.tty: expected a boolean", "\"true\"", "1", "[]", "{}", "\"\""}
        }) {
            for (int i = 2; i < field.length; i++) {
                Nonce nonce = n();
                cases.add(new Case(
                        "exec " + field[0] + " " + field[i],
                        execRaw(nonce, args(field[0], field[i])),
                        Expect.error(400, field[1], nonce)));
            }
        }
        Nonce badStdin = n();
        cases.add(new Case(
                "exec stdin with a lone surrogate",
                execRaw(badStdin, args("stdin", "\"\\udc00\"")),
                Expect.error(400, "args.stdin: invalid unicode", badStdin)));
        // The EXEC's stdin counts against the code size limit, together with the code ("echo hi").
        for (String stdin : List.of("x".repeat(MAX_CODE - 6), "€".repeat(MAX_CODE / 3))) {
            Nonce nonce = n();
            cases.add(new Case(
                    "exec stdin too large",
                    execRaw(nonce, args("stdin", q(stdin))),
                    features.contains("stdin")
                            ? Expect.error(413, "code and stdin are too large", nonce)
                            : Expect.error(400, "this server's sandbox does not support stdin", nonce)));
        }
        if (!features.contains("stdin")) {
            for (String raw : List.of("\"interactive\":true", "\"stdin\":\"x\"")) {
                Nonce nonce = n();
                cases.add(new Case(
                        "exec " + raw + " without the feature",
                        execRaw(nonce, "{\"language\":\"sh\",\"code\":\"cat\"," + raw + "}"),
                        Expect.error(400, "this server's sandbox does not support stdin", nonce)));
            }
        }
        if (!features.contains("tty")) {
            Nonce nonce = n();
            cases.add(new Case(
                    "exec tty without the feature",
                    execRaw(nonce, "{\"language\":\"sh\",\"code\":\"cat\",\"tty\":true}"),
                    Expect.error(400, "this server's sandbox does not support tty", nonce)));
        }
    }

    /** {@link List#of} that takes nulls. */
    private static final class Lists {
        static List<String> of(String... items) {
            return java.util.Arrays.asList(items);
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void everyCorpusMessageGetsItsDocumentedAnswerWhileTheConnectionsRunKeepsStreaming() throws IOException {
        // A run of this connection that has finished, to KILL later.
        Nonce finishedNonce = Nonce.of("finished");
        main.sendText(exec(finishedNonce, "echo done"));
        RunId finished = null;
        while (true) {
            Event e = nextAnswer(main, mainRun);
            assertThat(e).as("the short run's events").isNotNull();
            if (e instanceof Event.Spawn) {
                finished = ((Event.Spawn) e).runId();
            }
            if (e instanceof Event.Stop) {
                break;
            }
        }

        List<Case> corpus = corpus(otherRun, finished);
        assertThat(corpus.size()).isGreaterThanOrEqualTo(200);
        for (Case c : corpus) {
            main.sendText(c.text());
            summary.count("corpus messages sent (text frames, one connection)");
            if (check(c.name() + " " + c.text(), c.expect(), nextAnswer(main, mainRun))) {
                summary.count("corpus messages answered as documented");
            } else {
                resync(main, mainRun);
            }
        }
        assertThat(failures).as("messages not answered as documented").isEmpty();
        assertLongRunStillStreams(main, mainRun);
    }

    @Test
    @Order(2)
    void framesThatKeepTheConnectionOpenAreAnsweredInOrder() throws IOException {
        String pingJson = "{\"op\":0,\"nonce\":\"frag\"}";
        byte[] ping = pingJson.getBytes(StandardCharsets.UTF_8);
        byte[] euro = "{\"op\":0,\"nonce\":\"€€€\"}".getBytes(StandardCharsets.UTF_8);
        int before = failures.size();

        frameCase(
                "binary frame",
                () -> main.frame(true, RawWebSocket.BINARY, ping),
                Expect.error(400, "invalid message type", Nonce.NONE));
        frameCase(
                "empty binary frame",
                () -> main.frame(true, RawWebSocket.BINARY, new byte[0]),
                Expect.error(400, "invalid message type", Nonce.NONE));
        frameCase(
                "100k binary frame",
                () -> main.frame(true, RawWebSocket.BINARY, new byte[100_000]),
                Expect.error(400, "invalid message type", Nonce.NONE));
        frameCase(
                "fragmented binary message",
                () -> {
                    main.frame(false, RawWebSocket.BINARY, new byte[] {1, 2});
                    main.frame(false, RawWebSocket.CONTINUATION, new byte[] {3});
                    main.frame(true, RawWebSocket.CONTINUATION, new byte[] {4});
                },
                Expect.error(400, "invalid message type", Nonce.NONE));
        frameCase(
                "empty text frame",
                () -> main.frame(true, RawWebSocket.TEXT, new byte[0]),
                Expect.error(400, "invalid message", Nonce.NONE));
        frameCase(
                "text in three fragments with a ping frame between",
                () -> {
                    main.frame(false, RawWebSocket.TEXT, java.util.Arrays.copyOfRange(ping, 0, 5));
                    main.frame(true, RawWebSocket.PING, "mid".getBytes(StandardCharsets.UTF_8));
                    main.frame(false, RawWebSocket.CONTINUATION, java.util.Arrays.copyOfRange(ping, 5, 12));
                    main.frame(true, RawWebSocket.CONTINUATION, java.util.Arrays.copyOfRange(ping, 12, ping.length));
                },
                Expect.pong(Nonce.of("frag")));
        frameCase(
                "fragments split inside a UTF-8 character",
                () -> {
                    int split = "{\"op\":0,\"nonce\":\"".length() + 1; // inside the first €
                    main.frame(false, RawWebSocket.TEXT, java.util.Arrays.copyOfRange(euro, 0, split));
                    main.frame(true, RawWebSocket.CONTINUATION, java.util.Arrays.copyOfRange(euro, split, euro.length));
                },
                Expect.pong(Nonce.of("€€€")));
        frameCase(
                "one byte per fragment",
                () -> {
                    for (int i = 0; i < ping.length; i++) {
                        main.frame(
                                i == ping.length - 1,
                                i == 0 ? RawWebSocket.TEXT : RawWebSocket.CONTINUATION,
                                new byte[] {ping[i]});
                    }
                },
                Expect.pong(Nonce.of("frag")));
        frameCase(
                "unsolicited pong frame, then a PING",
                () -> {
                    main.frame(true, RawWebSocket.PONG, "unsolicited".getBytes(StandardCharsets.UTF_8));
                    main.sendText(pingJson);
                },
                Expect.pong(Nonce.of("frag")));
        frameCase(
                "text with NUL bytes",
                () -> main.frame(true, RawWebSocket.TEXT, new byte[] {'{', 0, '}'}),
                Expect.error(400, "invalid message", Nonce.NONE));

        // A ping frame with the largest control payload is echoed in a pong frame.
        summary.count("frame-level attacks (own connection each)");
        byte[] payload = new byte[125];
        java.util.Arrays.fill(payload, (byte) 'p');
        main.frame(true, RawWebSocket.PING, payload);
        if (awaitPong(main, payload)) {
            summary.count("frame-level attacks answered as documented");
        } else {
            failures.add("125-byte ping frame: no pong frame with the same payload");
        }
        assertThat(failures.subList(before, failures.size())).isEmpty();
        assertLongRunStillStreams(main, mainRun);
    }

    private boolean awaitPong(RawWebSocket ws, byte[] payload) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            RawWebSocket.Frame f = ws.readFrame(WAIT);
            if (f == null) {
                return false;
            }
            if (f.opcode() == RawWebSocket.PONG && java.util.Arrays.equals(f.payload(), payload)) {
                return true;
            }
            if (f.opcode() == RawWebSocket.TEXT) {
                Event e = RawWebSocketCodec.decode(f);
                if (!(e instanceof Event.Log && ((Event.Log) e).runId().equals(mainRun))) {
                    failures.add("unexpected event while waiting for a pong frame: " + e);
                }
            }
        }
        return false;
    }

    /** Decodes one unfragmented text frame. */
    private static final class RawWebSocketCodec {
        static Event decode(RawWebSocket.Frame f) {
            return dev.ranna.protocol.json.ClientCodec.create().decodeEvent(Contract.checkEvent(f.text()));
        }
    }

    @FunctionalInterface
    interface Send {
        void run() throws IOException;
    }

    private void frameCase(String name, Send send, Expect expect) throws IOException {
        summary.count("frame-level attacks (own connection each)");
        send.run();
        if (check(name, expect, nextAnswer(main, mainRun))) {
            summary.count("frame-level attacks answered as documented");
        } else {
            resync(main, mainRun);
        }
    }

    @Test
    @Order(3)
    void frameLevelViolationsCloseOnlyTheirOwnConnectionWithTheRightCode() throws IOException {
        byte[] valid = "{\"op\":0}".getBytes(StandardCharsets.UTF_8);
        int before = failures.size();
        closing(
                "invalid UTF-8 (0xff)",
                1007,
                ws -> ws.frame(true, RawWebSocket.TEXT, bytes("{\"op\":0,\"x\":\"", 0xff, "\"}")));
        closing(
                "overlong encoding of '/'",
                1007,
                ws -> ws.frame(true, RawWebSocket.TEXT, bytes("\"", 0xc0, 0xaf, "\"")));
        closing(
                "UTF-8-encoded surrogate",
                1007,
                ws -> ws.frame(true, RawWebSocket.TEXT, bytes("\"", 0xed, 0xa0, 0x80, "\"")));
        closing(
                "code point above U+10FFFF",
                1007,
                ws -> ws.frame(true, RawWebSocket.TEXT, bytes("\"", 0xf4, 0x90, 0x80, 0x80, "\"")));
        closing(
                "truncated character at the end",
                1007,
                ws -> ws.frame(true, RawWebSocket.TEXT, bytes("\"x", 0xe2, 0x82)));
        closing("invalid UTF-8 in a continuation", 1007, ws -> {
            ws.frame(false, RawWebSocket.TEXT, bytes("{\"op\":"));
            ws.frame(true, RawWebSocket.CONTINUATION, bytes(0xfe, "0}"));
        });
        closing("lone continuation byte", 1007, ws -> ws.frame(true, RawWebSocket.TEXT, bytes(0x80)));
        closing("unmasked client frame", 1002, ws -> ws.frame(true, 0, RawWebSocket.TEXT, valid, false));
        closing("RSV1 without an extension", 1002, ws -> ws.frame(true, 4, RawWebSocket.TEXT, valid, true));
        closing("RSV2", 1002, ws -> ws.frame(true, 2, RawWebSocket.TEXT, valid, true));
        closing("RSV3", 1002, ws -> ws.frame(true, 1, RawWebSocket.TEXT, valid, true));
        for (int opcode : new int[] {3, 7, 0xB, 0xF}) {
            closing("reserved opcode " + opcode, 1002, ws -> ws.frame(true, opcode, valid));
        }
        closing("continuation without a start", 1002, ws -> ws.frame(true, RawWebSocket.CONTINUATION, valid));
        closing("new text frame inside a fragmented message", 1002, ws -> {
            ws.frame(false, RawWebSocket.TEXT, bytes("{\"op\""));
            ws.frame(true, RawWebSocket.TEXT, valid);
        });
        closing("fragmented ping frame", 1002, ws -> ws.frame(false, RawWebSocket.PING, bytes("x")));
        closing("126-byte ping frame", 1002, ws -> ws.frame(true, RawWebSocket.PING, new byte[126]));
        closing(
                "frame over the message limit",
                1009,
                ws -> ws.frame(true, RawWebSocket.TEXT, new byte[MAX_MESSAGE + 1]));
        closing("fragments over the message limit", 1009, ws -> {
            byte[] half = new byte[MAX_MESSAGE / 2 + 1];
            java.util.Arrays.fill(half, (byte) ' ');
            ws.frame(false, RawWebSocket.TEXT, half);
            ws.frame(true, RawWebSocket.CONTINUATION, half);
        });
        closing("a STDIN over the message limit", 1009, ws -> {
            String head = "{\"op\":3,\"args\":{\"runid\":\"" + mainRun.value() + "\",\"data\":\"";
            String data = "x".repeat(MAX_MESSAGE + 1 - head.length() - 3);
            ws.frame(true, RawWebSocket.TEXT, (head + data + "\"}}").getBytes(StandardCharsets.UTF_8));
        });
        closing("length field of 2^40", 1009, ws -> ws.header(true, RawWebSocket.TEXT, 1L << 40));
        closing(
                "length field with the top bit set",
                1002,
                ws -> ws.header(true, RawWebSocket.TEXT, Long.MIN_VALUE + 5));
        closing(
                "client close 1000 is echoed",
                1000,
                ws -> ws.frame(true, RawWebSocket.CLOSE, new byte[] {0x03, (byte) 0xe8}));
        closing("close frame with a 1-byte payload", 1002, ws -> ws.frame(true, RawWebSocket.CLOSE, new byte[] {0x03}));
        closing("binary flood of 1000 frames, then invalid UTF-8", 1007, ws -> {
            for (int i = 0; i < 1000; i++) {
                ws.frame(true, RawWebSocket.BINARY, valid);
            }
            ws.frame(true, RawWebSocket.TEXT, bytes(0xff));
        });
        assertThat(failures.subList(before, failures.size())).isEmpty();
        assertLongRunStillStreams(main, mainRun);
        assertLongRunStillStreams(other, otherRun);
    }

    @FunctionalInterface
    interface Attack {
        void run(RawWebSocket ws) throws IOException;
    }

    private void closing(String name, int expectedStatus, Attack attack) throws IOException {
        summary.count("frame-level attacks (own connection each)");
        try (RawWebSocket ws = RawWebSocket.connect(server.port())) {
            // A run on the attacked connection too: it must be killed and cleaned up with the connection.
            ws.sendText(exec(Nonce.of("victim"), "sleep 30"));
            Event spawn = ws.nextEvent(WAIT);
            if (!(spawn instanceof Event.Spawn)) {
                failures.add(name + ": the run before the attack did not start: " + spawn);
                return;
            }
            try {
                attack.run(ws);
            } catch (IOException e) {
                // The server may close while we are still writing (a reset on a large write).
            }
            int status = ws.awaitClose(WAIT);
            boolean closed = ws.isClosedByServer(WAIT);
            if (status == expectedStatus && closed) {
                summary.count("frame-level attacks answered as documented");
                summary.count("close status " + status);
            } else {
                failures.add(name + ": expected close " + expectedStatus + " and the connection closed, got " + status
                        + (closed ? "" : " (still open)"));
                summary.count("unexpected or missing answers");
            }
        }
    }

    private static byte[] bytes(Object... parts) {
        var out = new java.io.ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof String) {
                out.writeBytes(((String) part).getBytes(StandardCharsets.UTF_8));
            } else {
                out.write((Integer) part);
            }
        }
        return out.toByteArray();
    }

    /** An EXEC of {@code code} with raw JSON fields appended to its args (each starting with a comma). */
    private static String execWith(Nonce nonce, String code, String rawFields) {
        return "{\"op\":1,\"nonce\":" + nonceJson(nonce) + ",\"args\":{\"language\":\"sh\",\"code\":" + q(code)
                + rawFields + "}}";
    }

    private static String stdinOp(Nonce nonce, RunId run, String data, boolean eof) {
        return op(3, nonce, "{" + runArg(run) + ",\"data\":" + q(data) + (eof ? ",\"eof\":true" : "") + "}");
    }

    /** Sends {@code text}, then a PING: the PONG must be the next answer (the op sent no event). */
    private void expectNoAnswer(String name, String text) throws IOException {
        main.sendText(text);
        Nonce probe = Nonce.of("quiet-" + nonces.incrementAndGet());
        main.sendText("{\"op\":0,\"nonce\":" + nonceJson(probe) + "}");
        if (!check(name + " (no event, then PONG)", Expect.pong(probe), nextAnswer(main, mainRun))) {
            resync(main, mainRun);
        }
    }

    private void expectAnswer(String name, String text, Expect expect) throws IOException {
        main.sendText(text);
        summary.count("interactive messages sent");
        if (check(name, expect, nextAnswer(main, mainRun))) {
            summary.count("interactive messages answered as documented");
        } else {
            resync(main, mainRun);
        }
    }

    private RunId spawned(Nonce nonce) throws IOException {
        Event spawn = nextAnswer(main, mainRun);
        assertThat(spawn).as("SPAWN of %s", nonce).isInstanceOf(Event.Spawn.class);
        assertThat(spawn.nonce()).isEqualTo(nonce);
        return ((Event.Spawn) spawn).runId();
    }

    /** Takes this connection's answers until {@code nonce}'s STOP, collecting its run's stdout. */
    private Event.Stop untilStop(Nonce nonce, RunId run, StringBuilder stdout) throws IOException {
        while (true) {
            Event e = nextAnswer(main, mainRun);
            assertThat(e).as("events of %s", nonce).isNotNull();
            assertThat(e.nonce())
                    .as("%s while waiting for the STOP of %s", e, nonce)
                    .isEqualTo(nonce);
            if (e instanceof Event.Log) {
                assertThat(((Event.Log) e).runId()).isEqualTo(run);
                // SIGUSR1 also ends a sleeping child, which the shell may report on stderr ("User defined
                // signal 1"): what the program read is its stdout.
                if (((Event.Log) e).stream() == dev.ranna.protocol.StdStream.STDOUT) {
                    stdout.append(((Event.Log) e).text());
                }
            } else {
                assertThat(e).as("only LOGs before the STOP").isInstanceOf(Event.Stop.class);
                return (Event.Stop) e;
            }
        }
    }

    @Test
    @Order(4)
    void interactiveRunsGetTheirDocumentedAnswersAndTheConnectionStaysUsable() throws IOException {
        assertThat(server.engine().features())
                .as("the process sandbox declares stdin, signals and tty (its i13 branch); without them the"
                        + " interactive part of the corpus cannot start a run")
                .contains("stdin", "signals", "tty");
        int before = failures.size();
        List<RunId> started = new ArrayList<>();
        try {
            // 1. A program that reads nothing until SIGUSR1, then copies its input to its output: what it
            // is sent fills the pipe, then the engine's buffer, until STDIN is refused with 413. What it
            // finally prints shows that every accepted message arrived, in order, and no refused one.
            Nonce readerNonce = Nonce.of("reader");
            main.sendText(execWith(
                    readerNonce,
                    "trap 'exec cat' USR1; while :; do sleep 0.1; done",
                    ",\"stdin\":\"first\\n\",\"interactive\":true"));
            RunId reader = spawned(readerNonce);
            started.add(reader);
            var expected = new StringBuilder("first\n");
            Nonce huge = n();
            expectAnswer(
                    "STDIN larger than the buffer at once",
                    stdinOp(huge, reader, "h".repeat(MAX_STDIN + 1), false),
                    Expect.error(413, "stdin buffer full", huge));
            int chunk = 16 * 1024;
            boolean refused = false;
            // Pipe (64 KiB) + the pump's piece (8 KiB) + the buffer (64 KiB) hold at most 136 KiB.
            for (int i = 0; i < 20 && !refused; i++) {
                String data = String.valueOf((char) ('a' + i)).repeat(chunk - 1) + "\n";
                Nonce nonce = n();
                main.sendText(stdinOp(nonce, reader, data, false));
                Nonce probe = Nonce.of("probe-" + nonce);
                main.sendText("{\"op\":0,\"nonce\":" + nonceJson(probe) + "}");
                Event answer = nextAnswer(main, mainRun);
                summary.count("interactive messages sent");
                if (answer instanceof Event.Pong && answer.nonce().equals(probe)) {
                    expected.append(data);
                    summary.count("interactive messages answered as documented");
                    continue;
                }
                refused = check("STDIN past the buffer", Expect.error(413, "stdin buffer full", nonce), answer);
                if (refused) {
                    summary.count("interactive messages answered as documented");
                    check("PING after a refused STDIN", Expect.pong(probe), nextAnswer(main, mainRun));
                }
            }
            assertThat(refused)
                    .as("a STDIN to a program that reads nothing is refused in the end")
                    .isTrue();
            Nonce stillFull = n();
            expectAnswer(
                    "the same STDIN again",
                    stdinOp(stillFull, reader, "z".repeat(chunk), true),
                    Expect.error(413, "stdin buffer full", stillFull));
            expectNoAnswer("STDIN eof alone", stdinOp(n(), reader, "", true));
            for (String[] late : new String[][] {{"late", "false"}, {"", "true"}, {"more", "true"}}) {
                Nonce nonce = n();
                expectAnswer(
                        "STDIN after EOF '" + late[0] + "'",
                        stdinOp(nonce, reader, late[0], Boolean.parseBoolean(late[1])),
                        Expect.error(400, "stdin is not open", nonce));
            }
            Nonce noTerminal = n();
            expectAnswer(
                    "RESIZE of an interactive run without tty",
                    op(5, noTerminal, "{" + runArg(reader) + ",\"cols\":80,\"rows\":24}"),
                    Expect.error(400, "run has no terminal", noTerminal));
            for (RunId notMine : List.of(otherRun, new RunId("deadbeef"))) {
                Nonce nonce = n();
                expectAnswer(
                        "SIGNAL to a run that is not this connection's",
                        op(4, nonce, "{" + runArg(notMine) + ",\"signal\":\"SIGUSR1\"}"),
                        Expect.error(400, "sandbox is not running", nonce));
            }
            main.sendText(op(4, n(), "{" + runArg(reader) + ",\"signal\":\"SIGUSR1\"}"));
            var stdout = new StringBuilder();
            Event.Stop readerStop = untilStop(readerNonce, reader, stdout);
            started.remove(reader);
            assertThat(stdout.toString())
                    .as("what the program read: every accepted STDIN in order, nothing of a refused one")
                    .isEqualTo(expected.toString());
            assertThat(readerStop.result().exitCode()).as("cat read EOF").isZero();

            // 2. A terminal: resizes within range send nothing, others are refused; a fatal signal is
            // reported as STOP's signal, not as a kill.
            Nonce ttyNonce = Nonce.of("terminal");
            main.sendText(execWith(ttyNonce, "sleep 100", ",\"interactive\":true,\"tty\":true"));
            RunId terminal = spawned(ttyNonce);
            started.add(terminal);
            expectNoAnswer("RESIZE 1x1", op(5, n(), "{" + runArg(terminal) + ",\"cols\":1,\"rows\":1}"));
            expectNoAnswer("RESIZE 1000x1000", op(5, n(), "{" + runArg(terminal) + ",\"cols\":1000,\"rows\":1000}"));
            for (String[] size : new String[][] {{"0", "24", "cols"}, {"80", "1001", "rows"}, {"-5", "24", "cols"}}) {
                Nonce nonce = n();
                expectAnswer(
                        "RESIZE " + size[0] + "x" + size[1],
                        op(5, nonce, "{" + runArg(terminal) + ",\"cols\":" + size[0] + ",\"rows\":" + size[1] + "}"),
                        Expect.error(400, "args." + size[2] + ": must be between 1 and 1000", nonce));
            }
            Nonce badSignal = n();
            expectAnswer(
                    "SIGNAL SIGSEGV to an own run",
                    op(4, badSignal, "{" + runArg(terminal) + ",\"signal\":\"SIGSEGV\"}"),
                    Expect.error(400, "args.signal: expected one of", badSignal));
            main.sendText(op(4, n(), "{" + runArg(terminal) + ",\"signal\":\"SIGTERM\"}"));
            Event.Stop term = untilStop(ttyNonce, terminal, new StringBuilder());
            started.remove(terminal);
            assertThat(term.result().signal()).as("STOP after SIGTERM").isEqualTo("SIGTERM");
            assertThat(term.result().killed()).isFalse();

            // 3. SIGKILL is a KILL; afterwards the run is gone like any finished one.
            Nonce victimNonce = Nonce.of("victim-of-sigkill");
            main.sendText(exec(victimNonce, "sleep 100"));
            RunId victim = spawned(victimNonce);
            started.add(victim);
            main.sendText(op(4, n(), "{" + runArg(victim) + ",\"signal\":\"SIGKILL\"}"));
            Event.Stop kill = untilStop(victimNonce, victim, new StringBuilder());
            started.remove(victim);
            assertThat(kill.result().killed()).as("SIGKILL is a KILL").isTrue();
            assertThat(kill.result().signal()).isEqualTo("SIGKILL");
            Nonce after = n();
            expectAnswer(
                    "STDIN to a run that has ended",
                    stdinOp(after, victim, "x", false),
                    Expect.error(400, "sandbox is not running", after));
        } finally {
            for (RunId left : started) {
                main.sendText("{\"op\":2,\"args\":{" + runArg(left) + "}}");
            }
            if (!started.isEmpty()) {
                // Skip their output and STOPs, so the next test starts in step.
                for (int i = 0; i < started.size() + 1; i++) {
                    resync(main, mainRun);
                }
            }
        }
        assertThat(failures.subList(before, failures.size())).isEmpty();
        assertLongRunStillStreams(main, mainRun);
        assertLongRunStillStreams(other, otherRun);
    }

    @Test
    @Order(5)
    void aFloodOfPingsIsAnsweredInOrderWithoutDisturbingTheRun() throws IOException {
        int pings = 5000;
        var sb = new StringBuilder();
        for (int i = 0; i < pings; i++) {
            main.sendText("{\"op\":0,\"nonce\":" + (900_000 + i) + "}");
        }
        summary.add("protocol PINGs in the flood", pings);
        for (int i = 0; i < pings; i++) {
            Event e = nextAnswer(main, mainRun);
            if (!new Event.Pong(Nonce.of(900_000 + i)).equals(e)) {
                sb.append("PONG ").append(i).append(": got ").append(e).append('\n');
                break;
            }
        }
        int frames = 2000;
        byte[] payload = "flood".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < frames; i++) {
            main.frame(true, RawWebSocket.PING, payload);
        }
        summary.add("WebSocket ping frames in the flood", frames);
        for (int i = 0; i < frames; i++) {
            if (!awaitPong(main, payload)) {
                sb.append("pong frame ").append(i).append(" missing\n");
                break;
            }
        }
        assertThat(sb.toString()).isEmpty();
        assertLongRunStillStreams(main, mainRun);
    }

    @Test
    @Order(6)
    void anExecStormPastThePerConnectionLimitGets503ForTheExcess() throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(server.port())) {
            int storm = 30;
            for (int i = 0; i < storm; i++) {
                ws.sendText(exec(Nonce.of(i), "sleep 1; echo done " + i));
            }
            summary.add("EXECs in the storms", storm);
            int spawned = 0;
            int refused = 0;
            int stopped = 0;
            while (stopped < spawned || spawned + refused < storm) {
                Event e = ws.nextEvent(WAIT);
                assertThat(e).as("events of the storm").isNotNull();
                if (e instanceof Event.Spawn) {
                    spawned++;
                } else if (e instanceof Event.Stop) {
                    stopped++;
                    assertThat(((Event.Stop) e).result().exitCode()).isZero();
                } else if (e instanceof Event.Error) {
                    assertThat(((Event.Error) e).code()).isEqualTo(503);
                    assertThat(((Event.Error) e).message()).contains("too many runs on this connection");
                    refused++;
                }
            }
            // The per-connection limit is 4 and each run lasts a second: the first four start.
            assertThat(spawned).isEqualTo(4);
            assertThat(refused).isEqualTo(storm - 4);
            summary.add("EXECs answered as documented in the storms", storm);
        }
    }

    @Test
    @Order(7)
    void anExecStormPastTheRateLimitGets429ForTheExcessOnEveryConnectionOfTheClient() throws IOException {
        RannaEngine limited = Engines.process(
                Engines.limits().rateLimit(3, Duration.ofHours(1)).build(), Engines.processConfig());
        try (RannaServer rated = Engines.server(limited, ServerOptions.DEFAULTS);
                RawWebSocket ws = RawWebSocket.connect(rated.port());
                RawWebSocket second = RawWebSocket.connect(rated.port())) {
            int storm = 40;
            for (int i = 0; i < storm; i++) {
                ws.sendText(exec(Nonce.of(i), "echo " + i));
            }
            summary.add("EXECs in the storms", storm + 1);
            int stops = 0;
            int limitedCount = 0;
            while (stops + limitedCount < storm) {
                Event e = ws.nextEvent(WAIT);
                assertThat(e).as("events of the storm").isNotNull();
                if (e instanceof Event.Stop) {
                    stops++;
                } else if (e instanceof Event.Error) {
                    assertThat(((Event.Error) e).code()).isEqualTo(429);
                    assertThat(((Event.Error) e).message()).isEqualTo("you have been rate limited");
                    limitedCount++;
                }
            }
            assertThat(stops).isEqualTo(3);
            assertThat(limitedCount).isEqualTo(storm - 3);
            second.sendText(exec(Nonce.of("second"), "echo x"));
            assertThat(second.nextEvent(WAIT))
                    .isEqualTo(new Event.Error(Nonce.of("second"), 429, "you have been rate limited"));
            second.sendText("{\"op\":0,\"nonce\":1}");
            assertThat(second.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(1)));
            summary.add("EXECs answered as documented in the storms", storm + 1);
        }
    }

    @Test
    @Order(8)
    void afterAllOfItTheRunsAreStillKillableAndTheServerIsHealthy() throws IOException {
        for (var target :
                List.of(new Object[] {main, mainRun, Nonce.of(1)}, new Object[] {other, otherRun, Nonce.of(2)})) {
            RawWebSocket ws = (RawWebSocket) target[0];
            RunId run = (RunId) target[1];
            assertLongRunStillStreams(ws, run);
            ws.sendText("{\"op\":2,\"args\":{\"runid\":\"" + run.value() + "\"}}");
            Event stop = nextAnswer(ws, run);
            assertThat(stop).isInstanceOf(Event.Stop.class);
            assertThat(stop.nonce()).isEqualTo(target[2]);
            assertThat(((Event.Stop) stop).result().killed()).isTrue();
        }
        main.sendText(exec(Nonce.of("after"), "echo fine"));
        assertThat(main.nextEvent(WAIT)).isInstanceOf(Event.Spawn.class);
        Event log = main.nextEvent(WAIT);
        assertThat(log).isInstanceOf(Event.Log.class);
        assertThat(((Event.Log) log).text()).isEqualTo("fine\n");
        assertThat(main.nextEvent(WAIT)).isInstanceOf(Event.Stop.class);
        assertThat(Host.poll(WAIT, () -> server.engine().activeRuns() == 0))
                .as("no run left in the engine")
                .isTrue();
        assertThat(Host.poll(WAIT, () -> server.webSocketConnections() == 2))
                .as("only the two connections of this test still open, got %s", server.webSocketConnections())
                .isTrue();
        assertThat(Host.poll(WAIT, () -> Host.sandboxProcesses(null).isEmpty()))
                .as("no sandbox process left: %s", Host.sandboxProcesses(null))
                .isTrue();
    }

    private void assertLongRunStillStreams(RawWebSocket ws, RunId run) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Event e = ws.nextEvent(WAIT);
            assertThat(e).as("the long run's output").isNotNull();
            if (e instanceof Event.Log && ((Event.Log) e).runId().equals(run)) {
                return;
            }
            failures.add("unexpected event while checking the long run: " + e);
        }
        throw new AssertionError("the long run " + run + " stopped streaming");
    }
}
