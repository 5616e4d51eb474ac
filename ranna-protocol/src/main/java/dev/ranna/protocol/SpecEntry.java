package dev.ranna.protocol;

import org.jspecify.annotations.Nullable;

/**
 * One entry of ranna's spec map (its {@code models.Spec}), as written in a spec file and served by
 * {@code GET /v1/spec}. Every field is optional on the wire; which ones an entry needs is decided by
 * the engine when it loads the map.
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
        @Nullable InlineTemplate inline) {

    /** An entry that only says {@code use: target}. */
    public static SpecEntry alias(String target) {
        return new SpecEntry(target, null, null, null, null, null, null, null, null);
    }

    /** Whether this entry is an alias. */
    public boolean isAlias() {
        return use != null;
    }
}
