package dev.ranna.protocol;

import org.jspecify.annotations.Nullable;

/**
 * One entry of ranna's spec map (its {@code models.Spec}), as written in a spec file and served by
 * {@code GET /v1/spec}. Every field is optional on the wire; which ones an entry needs is decided by
 * the engine when it loads the map.
 *
 * <p>Build entries with {@link #builder()} (or {@link #alias(String)}): the format grows, and each new field is one more component of this record, so its canonical constructor is not
 * a stable way to make one.
 *
 * @param use alias: this key means the spec named here ({@code use})
 * @param image container image ({@code image})
 * @param registry image registry, informational ({@code registry})
 * @param entrypoint program and fixed leading arguments, split on spaces, double quotes group ({@code entrypoint})
 * @param cmd command, defaulting to the filename ({@code cmd})
 * @param filename the name of the code file in the working directory ({@code filename})
 * @param language display language for editors ({@code language})
 * @param example a hello-world program ({@code example})
 * @param inline the inline-expression template ({@code inline})
 * @param compile the compile command, run before {@code cmd} in the working directory, split like it
 *     ({@code compile}, ours); null: no compile stage
 */
public record SpecEntry(
        @Nullable String use,
        @Nullable String image,
        @Nullable String registry,
        @Nullable String entrypoint,
        @Nullable String cmd,
        @Nullable String filename,
        @Nullable String language,
        @Nullable String example,
        @Nullable InlineTemplate inline,
        @Nullable String compile) {

    /** An entry with no field set yet. */
    public static Builder builder() {
        return new Builder();
    }

    /** An entry that only says {@code use: target}. */
    public static SpecEntry alias(String target) {
        return builder().use(target).build();
    }

    /** A builder holding this entry's fields, to change some of them. */
    public Builder toBuilder() {
        return builder()
                .use(use)
                .image(image)
                .registry(registry)
                .entrypoint(entrypoint)
                .cmd(cmd)
                .filename(filename)
                .language(language)
                .example(example)
                .inline(inline)
                .compile(compile);
    }

    /** Whether this entry is an alias. */
    public boolean isAlias() {
        return use != null;
    }

    /**
     * Builds a {@link SpecEntry}; each setter names a field of the spec file, null (the default) leaves the
     * field out. Not thread-safe; {@link #build()} may be called more than once.
     */
    public static final class Builder {
        private @Nullable String use;
        private @Nullable String image;
        private @Nullable String registry;
        private @Nullable String entrypoint;
        private @Nullable String cmd;
        private @Nullable String filename;
        private @Nullable String language;
        private @Nullable String example;
        private @Nullable InlineTemplate inline;
        private @Nullable String compile;

        private Builder() {}

        /** {@code use}: this key is an alias of {@code target}. */
        public Builder use(@Nullable String target) {
            this.use = target;
            return this;
        }

        /** {@code image}: the container image. */
        public Builder image(@Nullable String image) {
            this.image = image;
            return this;
        }

        /** {@code registry}: the image registry, informational. */
        public Builder registry(@Nullable String registry) {
            this.registry = registry;
            return this;
        }

        /** {@code entrypoint}: program and fixed leading arguments, in ranna's command syntax. */
        public Builder entrypoint(@Nullable String entrypoint) {
            this.entrypoint = entrypoint;
            return this;
        }

        /** {@code cmd}: the command after the entrypoint, in ranna's command syntax; absent means the filename. */
        public Builder cmd(@Nullable String cmd) {
            this.cmd = cmd;
            return this;
        }

        /** {@code filename}: the name of the code file. */
        public Builder filename(@Nullable String filename) {
            this.filename = filename;
            return this;
        }

        /** {@code language}: the display language for editors. */
        public Builder language(@Nullable String language) {
            this.language = language;
            return this;
        }

        /** {@code example}: a hello-world program. */
        public Builder example(@Nullable String example) {
            this.example = example;
            return this;
        }

        /** {@code inline}: the inline-expression template. */
        public Builder inline(@Nullable InlineTemplate inline) {
            this.inline = inline;
            return this;
        }

        /** {@code compile}: the compile command, in ranna's command syntax; null: no compile stage. */
        public Builder compile(@Nullable String compile) {
            this.compile = compile;
            return this;
        }

        /** The entry. */
        public SpecEntry build() {
            return new SpecEntry(use, image, registry, entrypoint, cmd, filename, language, example, inline, compile);
        }
    }
}
