package dev.ranna.engine.spi;

import dev.ranna.protocol.InlineTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A resolved language spec: what a sandbox needs to run code in one language.
 *
 * <p>The program run is {@code entrypoint... cmd... arguments...} in a working directory that holds
 * the code as {@link #filename()}.
 *
 * <p>Make one with {@link #builder(String, String)}.
 *
 * @param key the spec map key this spec was defined under (aliases resolve to the target's key)
 * @param image the container image, or null for sandboxes that need none
 * @param entrypoint program and fixed leading arguments (may be empty)
 * @param cmd the command after the entrypoint; defaults to the filename
 * @param filename the name of the code file; a plain file name, no directories
 * @param language display language for editors, or null
 * @param example a hello-world program, or null
 * @param inline the inline-expression template, or null if the spec has none
 * @param compile the compile stage's command, split like {@code cmd} and run in the working directory
 *     before {@code entrypoint... cmd...} with its own limits; empty when the spec has no compile stage.
 *     Asked of a sandbox with {@link Capability#COMPILE} only
 */
public record LanguageSpec(
        String key,
        @Nullable String image,
        List<String> entrypoint,
        List<String> cmd,
        String filename,
        @Nullable String language,
        @Nullable String example,
        @Nullable InlineTemplate inline,
        List<String> compile) {

    /** @throws IllegalArgumentException if the filename is not a plain file name or there is no command */
    public LanguageSpec {
        compile = List.copyOf(compile);
        Objects.requireNonNull(key, "key");
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        Objects.requireNonNull(filename, "filename");
        if (filename.isEmpty()
                || filename.equals(".")
                || filename.equals("..")
                || filename.contains("/")
                || filename.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(key + ".filename: must be a plain file name, got '" + filename + "'");
        }
        if (entrypoint.isEmpty() && cmd.isEmpty()) {
            throw new IllegalArgumentException(key + ": needs an entrypoint or a cmd");
        }
    }

    /**
     * A builder for the spec under {@code key} whose code file is {@code filename}; everything else is
     * optional. With neither an entrypoint nor a cmd, the command is the filename (ranna's default).
     */
    public static Builder builder(String key, String filename) {
        return new Builder(key, filename);
    }

    /** A builder holding this spec's fields, to change some of them. */
    public Builder toBuilder() {
        return builder(key, filename)
                .image(image)
                .entrypoint(entrypoint)
                .cmd(cmd)
                .language(language)
                .example(example)
                .inline(inline)
                .compile(compile);
    }

    /** Whether runs of this spec have a compile stage. */
    public boolean hasCompileStage() {
        return !compile.isEmpty();
    }

    /**
     * Builds a {@link LanguageSpec}. Commands are given either in ranna's syntax ({@link #entrypoint(String)},
     * split by {@link LanguageSpec#split}) or as argument lists. Not thread-safe; {@link #build()} may be
     * called more than once. The format grows (a compile stage is next): build specs here rather than with
     * the record's canonical constructor, whose parameter list grows with it.
     */
    public static final class Builder {
        private final String key;
        private final String filename;
        private @Nullable String image;
        private List<String> entrypoint = List.of();
        private List<String> cmd = List.of();
        private @Nullable String language;
        private @Nullable String example;
        private @Nullable InlineTemplate inline;
        private List<String> compile = List.of();

        private Builder(String key, String filename) {
            this.key = Objects.requireNonNull(key, "key");
            this.filename = Objects.requireNonNull(filename, "filename");
        }

        /** The container image, or null for sandboxes that need none. */
        public Builder image(@Nullable String image) {
            this.image = image;
            return this;
        }

        /** The entrypoint in ranna's syntax: split on spaces, double quotes group; null means none. */
        public Builder entrypoint(@Nullable String entrypoint) {
            this.entrypoint = split(entrypoint);
            return this;
        }

        /** The entrypoint as an argument list, taken as is. */
        public Builder entrypoint(List<String> entrypoint) {
            this.entrypoint = List.copyOf(entrypoint);
            return this;
        }

        /** The command after the entrypoint, in ranna's syntax; null or blank means the filename. */
        public Builder cmd(@Nullable String cmd) {
            this.cmd = split(cmd);
            return this;
        }

        /** The command after the entrypoint as an argument list; empty means the filename. */
        public Builder cmd(List<String> cmd) {
            this.cmd = List.copyOf(cmd);
            return this;
        }

        /** The display language for editors, or null. */
        public Builder language(@Nullable String language) {
            this.language = language;
            return this;
        }

        /** A hello-world program, or null. */
        public Builder example(@Nullable String example) {
            this.example = example;
            return this;
        }

        /** The inline-expression template, or null. */
        public Builder inline(@Nullable InlineTemplate inline) {
            this.inline = inline;
            return this;
        }

        /** @throws IllegalArgumentException if the filename is not a plain file name */
        /** The compile stage's command, split like {@code cmd}; null or blank: no compile stage. */
        public Builder compile(@Nullable String compile) {
            this.compile = split(compile);
            return this;
        }

        public Builder compile(List<String> compile) {
            this.compile = List.copyOf(compile);
            return this;
        }

        public LanguageSpec build() {
            List<String> command = cmd.isEmpty() ? List.of(filename) : cmd;
            return new LanguageSpec(key, image, entrypoint, command, filename, language, example, inline, compile);
        }
    }

    /**
     * Splits a command the way ranna does: on spaces, with double quotes grouping (and removed).
     * {@code /bin/sh -c "a && b"} gives {@code [/bin/sh, -c, a && b]}.
     */
    public static List<String> split(@Nullable String command) {
        var parts = new ArrayList<String>();
        if (command == null) {
            return parts;
        }
        var current = new StringBuilder();
        boolean quoted = false;
        boolean inToken = false;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                inToken = true;
            } else if (c == ' ' && !quoted) {
                if (inToken) {
                    parts.add(current.toString());
                    current.setLength(0);
                    inToken = false;
                }
            } else {
                current.append(c);
                inToken = true;
            }
        }
        if (inToken) {
            parts.add(current.toString());
        }
        return parts;
    }
}
