package dev.ranna.protocol.json;

import static dev.ranna.protocol.json.JsonSupport.typeOf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.ProjectFile;
import dev.ranna.protocol.RequestLimits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Field readers for untrusted JSON trees, shared by {@link OperationDecoder} and {@link RestRequestDecoder}:
 * each one either returns a checked value or throws a {@link FieldException} whose message names the field.
 */
final class UntrustedFields {

    private UntrustedFields() {}

    /** A field-level decode problem; its message names the field. Never escapes this package. */
    static final class FieldException extends Exception {
        private static final long serialVersionUID = 1L;

        private final String field;

        FieldException(String message) {
            super(message, null, false, false);
            this.field = message;
        }

        /** The message naming the field, never null (Throwable's getMessage() may be). */
        String field() {
            return field;
        }
    }

    static Nonce readNonce(@Nullable JsonNode node) throws FieldException {
        if (node == null || node.isNull()) {
            return Nonce.NONE;
        }
        if (node.isTextual()) {
            return Nonce.of(checkText("nonce", node.textValue()));
        }
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                throw new FieldException("integer out of 64-bit range");
            }
            return Nonce.of(node.longValue());
        }
        throw new FieldException("expected an integer or a string, got " + typeOf(node));
    }

    /**
     * Reads the arguments of an EXEC ({@code prefix} {@code "args"}) or a REST body ({@code prefix} empty:
     * field names without a prefix).
     */
    static ExecutionRequest readExecutionRequest(@Nullable JsonNode args, String prefix) throws FieldException {
        String where = prefix.isEmpty() ? "request body" : prefix;
        if (args == null || args.isNull()) {
            throw new FieldException(where + ": missing");
        }
        if (!args.isObject()) {
            throw new FieldException(where + ": expected an object, got " + typeOf(args));
        }
        String p = prefix.isEmpty() ? "" : prefix + ".";
        String language = requiredString(args, p + "language", "language");
        String code = requiredString(args, p + "code", "code");

        boolean inline = optionalBoolean(args, p + "inline_expression", "inline_expression");

        List<String> arguments = List.of();
        JsonNode argsNode = args.get("arguments");
        if (argsNode != null && !argsNode.isNull()) {
            if (!argsNode.isArray()) {
                throw new FieldException(p + "arguments: expected an array of strings, got " + typeOf(argsNode));
            }
            arguments = new ArrayList<>(argsNode.size());
            for (int i = 0; i < argsNode.size(); i++) {
                JsonNode element = argsNode.get(i);
                String field = p + "arguments[" + i + "]";
                if (!element.isTextual()) {
                    throw new FieldException(field + ": expected a string, got " + typeOf(element));
                }
                arguments.add(checkText(field, element.textValue()));
            }
        }

        Map<String, String> environment = Map.of();
        JsonNode envNode = args.get("environment");
        if (envNode != null && !envNode.isNull()) {
            if (!envNode.isObject()) {
                throw new FieldException(p + "environment: expected an object of strings, got " + typeOf(envNode));
            }
            environment = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> entry : envNode.properties()) {
                String field = p + "environment." + entry.getKey();
                checkText(p + "environment (a key)", entry.getKey());
                if (!entry.getValue().isTextual()) {
                    throw new FieldException(field + ": expected a string, got " + typeOf(entry.getValue()));
                }
                environment.put(
                        entry.getKey(), checkText(field, entry.getValue().textValue()));
            }
        }
        String stdin = optionalString(args, p + "stdin", "stdin");
        boolean interactive = optionalBoolean(args, p + "interactive", "interactive");
        boolean tty = optionalBoolean(args, p + "tty", "tty");
        List<ProjectFile> files = readFiles(args.get("files"), p + "files");
        RequestLimits limits = readLimits(args.get("limits"), p + "limits");
        return new ExecutionRequest(
                language, code, inline, arguments, environment, stdin, interactive, tty, files, limits);
    }

    /** The message tail of an {@code encoding} that is neither of the two. */
    static final String ENCODING_PROBLEM = "must be \"utf8\" or \"base64\"";

    /** The message tail of a limit that is not a positive 64-bit integer. */
    static final String LIMIT_PROBLEM = "must be a positive integer";

    /**
     * EXEC's {@code files}: absent or null is none. Only the shape is checked here (names, duplicates, the
     * count and base64 are the engine's to judge); nothing is allocated beyond the parsed tree, whose size
     * the frame limit bounds.
     */
    private static List<ProjectFile> readFiles(@Nullable JsonNode node, String field) throws FieldException {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new FieldException(field + ": expected an array of objects, got " + typeOf(node));
        }
        var files = new ArrayList<ProjectFile>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode entry = node.get(i);
            String where = field + "[" + i + "]";
            if (!entry.isObject()) {
                throw new FieldException(where + ": expected an object, got " + typeOf(entry));
            }
            String name = requiredString(entry, where + ".name", "name");
            JsonNode content = entry.get("content");
            if (content == null || content.isNull()) {
                throw new FieldException(where + ".content: missing");
            }
            if (!content.isTextual()) {
                throw new FieldException(where + ".content: must be a string, got " + typeOf(content));
            }
            ProjectFile.Encoding encoding = ProjectFile.Encoding.UTF8;
            JsonNode encodingNode = entry.get("encoding");
            if (encodingNode != null && !encodingNode.isNull()) {
                if (!encodingNode.isTextual()) {
                    throw new FieldException(where + ".encoding: " + ENCODING_PROBLEM);
                }
                encoding = ProjectFile.Encoding.fromWireName(encodingNode.textValue())
                        .orElseThrow(() -> new FieldException(where + ".encoding: " + ENCODING_PROBLEM));
            }
            files.add(new ProjectFile(name, checkText(where + ".content", content.textValue()), encoding));
        }
        return files;
    }

    /** EXEC's {@code limits}: absent or null is none; keys other than the four are ignored, as elsewhere. */
    private static RequestLimits readLimits(@Nullable JsonNode node, String field) throws FieldException {
        if (node == null || node.isNull()) {
            return RequestLimits.NONE;
        }
        if (!node.isObject()) {
            throw new FieldException(field + ": expected an object, got " + typeOf(node));
        }
        return new RequestLimits(
                optionalLimit(node, field, "timeoutms"),
                optionalLimit(node, field, "compiletimeoutms"),
                optionalLimit(node, field, "memorybytes"),
                optionalLimit(node, field, "outputbytes"));
    }

    private static @Nullable Long optionalLimit(JsonNode limits, String field, String name) throws FieldException {
        JsonNode node = limits.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        // Fractions (1.5, 1e3 and 1.0 alike), strings, and integers past the 64-bit range are refused.
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() <= 0) {
            throw new FieldException(field + "." + name + ": " + LIMIT_PROBLEM);
        }
        return node.longValue();
    }

    /** An optional boolean: absent or null is false. */
    static boolean optionalBoolean(JsonNode object, String field, String name) throws FieldException {
        JsonNode node = object.get(name);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw new FieldException(field + ": expected a boolean, got " + typeOf(node));
        }
        return node.booleanValue();
    }

    /** An optional string: absent or null is empty. */
    static String optionalString(JsonNode object, String field, String name) throws FieldException {
        JsonNode node = object.get(name);
        if (node == null || node.isNull()) {
            return "";
        }
        if (!node.isTextual()) {
            throw new FieldException(field + ": expected a string, got " + typeOf(node));
        }
        return checkText(field, node.textValue());
    }

    /** A required integer within {@code min..max}. */
    static int requiredInt(JsonNode object, String field, String name, int min, int max) throws FieldException {
        JsonNode node = object.get(name);
        if (node == null || node.isNull()) {
            throw new FieldException(field + ": missing");
        }
        if (!node.isIntegralNumber()) {
            throw new FieldException(field + ": expected an integer, got " + typeOf(node));
        }
        if (!node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            throw new FieldException(field + ": must be between " + min + " and " + max);
        }
        return node.intValue();
    }

    static String requiredString(JsonNode object, String field, String name) throws FieldException {
        JsonNode node = object.get(name);
        if (node == null || node.isNull()) {
            throw new FieldException(field + ": missing");
        }
        if (!node.isTextual()) {
            throw new FieldException(field + ": expected a string, got " + typeOf(node));
        }
        return checkText(field, node.textValue());
    }

    /** Rejects unpaired surrogates (from {@code \ud800}-style escapes): they have no UTF-8 encoding. */
    static String checkText(String field, String value) throws FieldException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new FieldException(field + ": invalid unicode (unpaired surrogate at index " + i + ")");
            }
            if (Character.isLowSurrogate(c)) {
                throw new FieldException(field + ": invalid unicode (unpaired surrogate at index " + i + ")");
            }
        }
        return value;
    }
}
