package dev.ranna.protocol.json;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ranna.protocol.CompileResult;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.InlineTemplate;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.SystemInfo;
import dev.ranna.protocol.Utf8Text;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The server's writer of REST response bodies ({@code /v1/exec}, {@code /v1/info}, {@code /v1/spec}, and
 * error bodies): fixed field names and order, absent fields omitted.
 *
 * <p>Immutable and thread-safe; share the one instance from {@link #create()}.
 */
public final class RestResponseEncoder {

    private static final RestResponseEncoder INSTANCE = new RestResponseEncoder();

    private RestResponseEncoder() {}

    /** The shared encoder. */
    public static RestResponseEncoder create() {
        return INSTANCE;
    }

    /**
     * Encodes a REST execution response: {@code {"stdout", "stderr", "exectimems", ..., "compile"?}}; the
     * top-level fields are the run stage's.
     */
    public String encode(ExecutionResponse response) {
        return JsonSupport.write(g -> writeResponse(g, null, response, Output.STRINGS));
    }

    /**
     * Writes {@link #encode(ExecutionResponse)} as UTF-8 to {@code out}: the same bytes as {@code
     * encode(response).getBytes(UTF_8)}, with the output escaped on its UTF-8 bytes (no {@code String} of it
     * is made). The stream is neither flushed nor closed.
     *
     * @throws IOException only if {@code out} throws
     */
    public void encode(ExecutionResponse response, OutputStream out) throws IOException {
        writeUtf8(out, null, response);
    }

    /** Encodes a REST error body: {@code {"error", "code"}}. */
    public String encode(ErrorResponse error) {
        return JsonSupport.write(g -> {
            g.writeStartObject();
            g.writeStringField("error", error.error());
            g.writeNumberField("code", error.code());
            g.writeEndObject();
        });
    }

    /**
     * Encodes a REST error body for a run that started and was ended by the error: {@code {"error", "code",
     * "stdout", "stderr", "exectimems", ...}}, so the client sees the output up to the error and how the run
     * ended (e.g. {@code "timedout": true}).
     */
    public String encode(ErrorResponse error, ExecutionResponse run) {
        return JsonSupport.write(g -> writeResponse(g, error, run, Output.STRINGS));
    }

    /**
     * Writes {@link #encode(ErrorResponse, ExecutionResponse)} as UTF-8 to {@code out}, as {@link
     * #encode(ExecutionResponse, OutputStream)} does.
     *
     * @throws IOException only if {@code out} throws
     */
    public void encode(ErrorResponse error, ExecutionResponse run, OutputStream out) throws IOException {
        writeUtf8(out, error, run);
    }

    private void writeUtf8(OutputStream out, @Nullable ErrorResponse error, ExecutionResponse run) throws IOException {
        if (hasUnpairedSurrogate(error, run)) {
            // Jackson's UTF-8 writer refuses a lone surrogate; the String path writes it, and its UTF-8 has '?'.
            String json = error == null ? encode(run) : encode(error, run);
            out.write(json.getBytes(StandardCharsets.UTF_8));
            return;
        }
        try (JsonGenerator g = JsonSupport.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
            writeResponse(g, error, run, (generator, name, text) -> {
                generator.writeFieldName(name);
                // An empty raw value makes Jackson write the separator (':') a value needs; what Jackson holds
                // goes to the stream, then the output itself, escaped on bytes, straight after it.
                generator.writeRawValue("");
                generator.flush();
                JsonBytes.writeString(text, out);
            });
        }
    }

    private static boolean hasUnpairedSurrogate(@Nullable ErrorResponse error, ExecutionResponse run) {
        if (error != null && !Utf8Text.of(error.error()).isWellFormed()) {
            return true;
        }
        String signal = run.result().signal();
        CompileResult compile = run.compile();
        return !run.stdoutUtf8().isWellFormed()
                || !run.stderrUtf8().isWellFormed()
                || (signal != null && !Utf8Text.of(signal).isWellFormed())
                || (compile != null
                        && (!compile.stdoutUtf8().isWellFormed()
                                || !compile.stderrUtf8().isWellFormed()
                                || (compile.signal() != null
                                        && !Utf8Text.of(Objects.requireNonNull(compile.signal()))
                                                .isWellFormed())));
    }

    /** How a run's output field is written: as a {@code String} through Jackson, or on bytes. */
    @FunctionalInterface
    private interface Output {
        Output STRINGS = (g, name, text) -> g.writeStringField(name, text.text());

        void write(JsonGenerator g, String name, Utf8Text text) throws IOException;
    }

    /** The one routine of an execution response, with {@code error} first for a run an error ended. */
    private static void writeResponse(
            JsonGenerator g, @Nullable ErrorResponse error, ExecutionResponse run, Output output) throws IOException {
        g.writeStartObject();
        if (error != null) {
            g.writeStringField("error", error.error());
            g.writeNumberField("code", error.code());
        }
        output.write(g, "stdout", run.stdoutUtf8());
        output.write(g, "stderr", run.stderrUtf8());
        JsonSupport.writeRunResult(g, run.result());
        writeCompile(g, run.compile(), output);
        g.writeEndObject();
    }

    /** The compile stage's object, for a spec with one: {@code "compile": {"stdout", "stderr", ...}}. */
    private static void writeCompile(JsonGenerator g, @Nullable CompileResult compile, Output output)
            throws IOException {
        if (compile == null) {
            return;
        }
        g.writeObjectFieldStart("compile");
        output.write(g, "stdout", compile.stdoutUtf8());
        output.write(g, "stderr", compile.stderrUtf8());
        Integer exitCode = compile.exitCode();
        if (exitCode != null) {
            g.writeNumberField("exitcode", exitCode);
        }
        writeOptional(g, "signal", compile.signal());
        g.writeNumberField("exectimems", compile.execTimeMs());
        g.writeEndObject();
    }

    /** Encodes {@code GET /v1/info}. */
    public String encode(SystemInfo info) {
        return JsonSupport.write(g -> {
            g.writeStartObject();
            g.writeStringField("version", info.version());
            g.writeStringField("builddate", info.buildDate());
            g.writeStringField("go_version", info.runtimeVersion());
            g.writeObjectFieldStart("sandbox");
            g.writeStringField("type", info.sandbox().type());
            g.writeStringField("version", info.sandbox().version());
            for (var detail : info.sandbox().details().entrySet()) {
                if (!detail.getKey().equals("type") && !detail.getKey().equals("version")) {
                    g.writeStringField(detail.getKey(), detail.getValue());
                }
            }
            g.writeEndObject();
            if (!info.features().isEmpty()) {
                g.writeArrayFieldStart("features");
                for (String feature : info.features()) {
                    g.writeString(feature);
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        });
    }

    /** Encodes a spec map for {@code GET /v1/spec}, keeping its order; absent fields are omitted. */
    public String encode(SpecMap specs) {
        return JsonSupport.write(g -> {
            g.writeStartObject();
            for (var entry : specs.entries().entrySet()) {
                g.writeFieldName(entry.getKey());
                writeSpecEntry(g, entry.getValue());
            }
            g.writeEndObject();
        });
    }

    private static void writeSpecEntry(JsonGenerator g, SpecEntry spec) throws IOException {
        g.writeStartObject();
        writeOptional(g, "use", spec.use());
        writeOptional(g, "image", spec.image());
        writeOptional(g, "registry", spec.registry());
        writeOptional(g, "entrypoint", spec.entrypoint());
        writeOptional(g, "compile", spec.compile());
        writeOptional(g, "cmd", spec.cmd());
        writeOptional(g, "filename", spec.filename());
        writeOptional(g, "language", spec.language());
        writeOptional(g, "example", spec.example());
        InlineTemplate inline = spec.inline();
        if (inline != null) {
            g.writeObjectFieldStart("inline");
            writeOptional(g, "import_regex", inline.importRegex());
            g.writeStringField("template", inline.template());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void writeOptional(JsonGenerator g, String field, @Nullable String value) throws IOException {
        if (value != null) {
            g.writeStringField(field, value);
        }
    }
}
