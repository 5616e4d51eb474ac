package dev.ranna.engine;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.protocol.InlineTemplate;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.json.SpecMapReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The languages the engine offers: a spec map, validated and with its {@code use} aliases resolved.
 *
 * <p>Validation happens when the registry is built, so a bad spec file is rejected at load time with a
 * message that names the key: a {@code use} cycle, a {@code use} that names nothing, a missing filename,
 * an entry with neither entrypoint nor cmd, or an invalid {@code import_regex}.
 *
 * <p>Immutable and thread-safe. To change the languages of a running engine, build a new registry and
 * hand it to {@link RannaEngine#reloadSpecs(SpecRegistry)}.
 */
public final class SpecRegistry {

    /** A registry with no languages. */
    public static final SpecRegistry EMPTY = new SpecRegistry(SpecMap.EMPTY, Map.of());

    private final SpecMap source;
    private final Map<String, LanguageSpec> resolved;

    private SpecRegistry(SpecMap source, Map<String, LanguageSpec> resolved) {
        this.source = source;
        this.resolved = Collections.unmodifiableMap(resolved);
    }

    /**
     * Validates {@code specs} and resolves its aliases.
     *
     * @throws IllegalArgumentException naming the key, if the map is invalid
     */
    public static SpecRegistry of(SpecMap specs) {
        var resolved = new LinkedHashMap<String, LanguageSpec>();
        var definitions = new LinkedHashMap<String, LanguageSpec>();
        for (var entry : specs.entries().entrySet()) {
            if (!entry.getValue().isAlias()) {
                definitions.put(entry.getKey(), define(entry.getKey(), entry.getValue()));
            }
        }
        for (String key : specs.entries().keySet()) {
            resolved.put(key, definitions.get(resolve(specs, key)));
        }
        return new SpecRegistry(specs, resolved);
    }

    /**
     * Parses a spec file's text, YAML or JSON (ranna's format: a map from language key to spec), with the
     * protocol's {@link SpecMapReader}. YAML needs {@code jackson-dataformat-yaml} on the class path (the
     * sandboxes and the standalone server bring it); without it a YAML text is refused saying so.
     *
     * @throws IllegalArgumentException if the text is not a valid spec map
     */
    public static SpecRegistry parse(String yamlOrJson) {
        return of(SpecMapReader.create().read(yamlOrJson));
    }

    /**
     * Reads and parses a spec file.
     *
     * @throws UncheckedIOException if the file cannot be read
     * @throws IllegalArgumentException naming the file and the key, if it is not a valid spec map
     */
    public static SpecRegistry load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spec file " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static LanguageSpec define(String key, SpecEntry entry) {
        String filename = entry.filename();
        if (filename == null || filename.isBlank()) {
            throw new IllegalArgumentException(key + ".filename: missing");
        }
        InlineTemplate inline = entry.inline();
        if (inline != null && inline.importRegex() != null) {
            try {
                Pattern.compile(inline.importRegex());
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(
                        key + ".inline.import_regex: invalid regex (RE2 syntax): " + e.getDescription(), e);
            }
        }
        return LanguageSpec.builder(key, filename)
                .image(entry.image())
                .entrypoint(entry.entrypoint())
                .cmd(entry.cmd())
                .language(entry.language())
                .example(entry.example())
                .inline(inline)
                .compile(entry.compile())
                .build();
    }

    private static String resolve(SpecMap specs, String key) {
        var seen = new LinkedHashSet<String>();
        String current = key;
        while (true) {
            if (!seen.add(current)) {
                seen.add(current);
                throw new IllegalArgumentException(key + ".use: alias cycle " + String.join(" -> ", seen));
            }
            SpecEntry entry = specs.entries().get(current);
            if (entry == null) {
                throw new IllegalArgumentException(key + ".use: names '" + current + "', which is not in the spec map");
            }
            String target = entry.use();
            if (target == null) { // not an alias
                return current;
            }
            current = target;
        }
    }

    /** The spec for {@code language} (a key or an alias), if offered. */
    public Optional<LanguageSpec> find(String language) {
        return Optional.ofNullable(resolved.get(language));
    }

    /** The distinct specs, aliases resolved and removed, in the spec file's order. */
    public Collection<LanguageSpec> specs() {
        return new LinkedHashSet<>(resolved.values());
    }

    /** Every key, aliases included, in the spec file's order. */
    public Set<String> languages() {
        return resolved.keySet();
    }

    /** The map as loaded, aliases unresolved, for {@code GET /v1/spec}. */
    public SpecMap specMap() {
        return source;
    }

    @Override
    public String toString() {
        return "SpecRegistry" + resolved.keySet();
    }
}
