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
 * @param key the spec map key this spec was defined under (aliases resolve to the target's key)
 * @param image the container image, or null for sandboxes that need none
 * @param entrypoint program and fixed leading arguments (may be empty)
 * @param cmd the command after the entrypoint; defaults to the filename
 * @param filename the name of the code file; a plain file name, no directories
 * @param language display language for editors, or null
 * @param example a hello-world program, or null
 * @param inline the inline-expression template, or null if the spec has none
 */
public record LanguageSpec(
        String key,
        @Nullable String image,
        List<String> entrypoint,
        List<String> cmd,
        String filename,
        @Nullable String language,
        @Nullable String example,
        @Nullable InlineTemplate inline) {

    /** @throws IllegalArgumentException if the filename is not a plain file name or there is no command */
    public LanguageSpec {
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
     * A spec from ranna's string fields: {@code entrypoint} and {@code cmd} are split on spaces with
     * double quotes grouping; an empty {@code cmd} means the filename.
     */
    public static LanguageSpec of(
            String key,
            @Nullable String image,
            @Nullable String entrypoint,
            @Nullable String cmd,
            String filename,
            @Nullable String language,
            @Nullable String example,
            @Nullable InlineTemplate inline) {
        List<String> cmdParts = split(cmd);
        if (cmdParts.isEmpty()) {
            cmdParts = List.of(filename);
        }
        return new LanguageSpec(key, image, split(entrypoint), cmdParts, filename, language, example, inline);
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
