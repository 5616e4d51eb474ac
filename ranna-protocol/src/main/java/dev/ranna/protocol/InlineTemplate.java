package dev.ranna.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A spec's {@code inline} block: how an inline expression becomes a whole program.
 *
 * @param importRegex {@code import_regex}: matches are moved out of the code into {@code $${IMPORTS}}, or null
 * @param template {@code template}: the program, with {@code $${CODE}} and {@code $${IMPORTS}} placeholders
 */
public record InlineTemplate(@Nullable String importRegex, String template) {

    /** Placeholder replaced by the expression's code, imports removed. */
    public static final String CODE_PLACEHOLDER = "$${CODE}";

    /** Placeholder replaced by the extracted import lines, joined by newlines. */
    public static final String IMPORTS_PLACEHOLDER = "$${IMPORTS}";

    public InlineTemplate {
        Objects.requireNonNull(template, "template");
    }
}
