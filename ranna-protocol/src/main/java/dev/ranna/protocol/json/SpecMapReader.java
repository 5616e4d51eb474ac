package dev.ranna.protocol.json;

import static dev.ranna.protocol.json.JsonSupport.typeOf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.ranna.protocol.InlineTemplate;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads ranna's spec file format, YAML or JSON (a map from language key to spec), into a {@link SpecMap}:
 * an operator's spec file, the default maps the sandboxes ship as resources, and a server's {@code GET
 * /v1/spec} answer are all read here. Entry order is kept; unknown fields are ignored; aliases stay
 * unresolved (the engine resolves and validates them).
 *
 * <p>The text is trusted (an operator's file), but errors are for an operator to fix: each names the key
 * and field ({@code "go.image: expected a string, got an integer"}).
 *
 * <p>YAML needs {@code com.fasterxml.jackson.dataformat:jackson-dataformat-yaml} on the class path, an
 * optional dependency of this module so that an embedder who never reads YAML does not receive a YAML
 * parser; without it, JSON spec files are read and a YAML one is refused with a message that says what to
 * add.
 *
 * <p>Immutable and thread-safe; share the one instance from {@link #create()}.
 */
public final class SpecMapReader {

    private static final String YAML_MISSING =
            "YAML spec files need com.fasterxml.jackson.dataformat:jackson-dataformat-yaml on the class path";

    /** Lenient like the YAML reader: a repeated key keeps its last value, as it always has. */
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final SpecMapReader INSTANCE = new SpecMapReader(YamlSupport.mapperIfPresent());

    private final @Nullable ObjectMapper yaml;

    /** @param yaml the YAML mapper, or null when YAML is not on the class path */
    SpecMapReader(@Nullable ObjectMapper yaml) {
        this.yaml = yaml;
    }

    /** The shared reader. */
    public static SpecMapReader create() {
        return INSTANCE;
    }

    /** Whether YAML spec files can be read here (else JSON only). */
    public boolean readsYaml() {
        return yaml != null;
    }

    /**
     * Reads a spec map written as YAML or JSON. An empty document or {@code null} is the empty map.
     *
     * @throws IllegalArgumentException naming the key and field, if the text is not a valid spec map
     */
    public SpecMap read(String yamlOrJson) {
        JsonNode root;
        try {
            if (yaml != null) {
                root = yaml.readTree(yamlOrJson);
            } else {
                root = JSON.readTree(yamlOrJson);
            }
        } catch (JsonProcessingException e) {
            if (yaml == null) {
                throw new IllegalArgumentException(
                        "spec file is not valid JSON: " + e.getOriginalMessage() + " (" + YAML_MISSING + ")", e);
            }
            throw new IllegalArgumentException("spec file is not valid YAML or JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return SpecMap.EMPTY;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("spec map: expected an object of language specs, got " + typeOf(root));
        }
        var entries = new LinkedHashMap<String, SpecEntry>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            entries.put(field.getKey(), readEntry(field.getKey(), field.getValue()));
        }
        return new SpecMap(entries);
    }

    /**
     * Reads a spec map shipped as a class path resource, e.g. a sandbox's default languages.
     *
     * @param anchor the class whose loader and package resolve {@code name}
     * @param name a resource name as for {@link Class#getResourceAsStream(String)}
     * @throws IllegalArgumentException naming the resource, if it is missing or not a valid spec map
     */
    public SpecMap readResource(Class<?> anchor, String name) {
        String text;
        try (InputStream in = anchor.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name + " beside " + anchor.getName());
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name + ": " + e.getMessage(), e);
        }
        try {
            return read(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    private static SpecEntry readEntry(String key, JsonNode node) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(key + ": expected an object, got " + typeOf(node));
        }
        var entry = SpecEntry.builder()
                .use(optionalString(key, node, "use"))
                .image(optionalString(key, node, "image"))
                .registry(optionalString(key, node, "registry"))
                .entrypoint(optionalString(key, node, "entrypoint"))
                .cmd(optionalString(key, node, "cmd"))
                .filename(optionalString(key, node, "filename"))
                .language(optionalString(key, node, "language"))
                .example(optionalString(key, node, "example"))
                .compile(optionalString(key, node, "compile"));
        JsonNode inlineNode = node.get("inline");
        if (inlineNode != null && !inlineNode.isNull()) {
            if (!inlineNode.isObject()) {
                throw new IllegalArgumentException(key + ".inline: expected an object, got " + typeOf(inlineNode));
            }
            String template = optionalString(key + ".inline", inlineNode, "template");
            if (template == null) {
                throw new IllegalArgumentException(key + ".inline.template: missing");
            }
            entry.inline(new InlineTemplate(optionalString(key + ".inline", inlineNode, "import_regex"), template));
        }
        return entry.build();
    }

    private static @Nullable String optionalString(String where, JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new IllegalArgumentException(where + "." + field + ": expected a string, got " + typeOf(node));
        }
        return node.textValue();
    }

    /** Touches the YAML classes only when they are there, so this class loads without them. */
    private static final class YamlSupport {
        private YamlSupport() {}

        static @Nullable ObjectMapper mapperIfPresent() {
            try {
                Class.forName(
                        "com.fasterxml.jackson.dataformat.yaml.YAMLMapper",
                        false,
                        SpecMapReader.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                return null;
            }
            return Holder.create();
        }
    }

    private static final class Holder {
        private Holder() {}

        static ObjectMapper create() {
            return new YAMLMapper();
        }
    }
}
