package dev.ranna.protocol.json;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.ranna.protocol.CompileResult;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.InlineTemplate;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.SystemInfo;
import java.io.IOException;
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
        return JsonSupport.write(g -> {
            g.writeStartObject();
            g.writeStringField("stdout", response.stdout());
            g.writeStringField("stderr", response.stderr());
            JsonSupport.writeRunResult(g, response.result());
            writeCompile(g, response.compile());
            g.writeEndObject();
        });
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
        return JsonSupport.write(g -> {
            g.writeStartObject();
            g.writeStringField("error", error.error());
            g.writeNumberField("code", error.code());
            g.writeStringField("stdout", run.stdout());
            g.writeStringField("stderr", run.stderr());
            JsonSupport.writeRunResult(g, run.result());
            writeCompile(g, run.compile());
            g.writeEndObject();
        });
    }

    /** The compile stage's object, for a spec with one: {@code "compile": {"stdout", "stderr", ...}}. */
    private static void writeCompile(JsonGenerator g, @Nullable CompileResult compile) throws IOException {
        if (compile == null) {
            return;
        }
        g.writeObjectFieldStart("compile");
        g.writeStringField("stdout", compile.stdout());
        g.writeStringField("stderr", compile.stderr());
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
