package dev.ranna.engine.spi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One more file of a run, beside the code's own file: its path relative to the working directory and its
 * bytes (EXEC {@code files}).
 *
 * <p>The name follows the protocol's rules, checked here so that no sandbox ever sees another: a relative
 * {@code /}-separated path of at most {@value #MAX_NAME_BYTES} bytes (UTF-8), no empty, {@code .} or
 * {@code ..} segment, no NUL and no backslash. Rules that depend on the rest of the request (not the
 * code's file name, no duplicate, no file that is another's directory) are the engine's.
 *
 * <p>Immutable: the bytes are copied in and out.
 *
 * @param name the relative path, {@code /}-separated
 * @param content the file's bytes
 */
public record SourceFile(String name, byte[] content) {

    /** The longest name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 255;

    public SourceFile {
        Objects.requireNonNull(name, "name");
        String problem = nameProblem(name);
        if (problem != null) {
            throw new IllegalArgumentException("file name " + problem);
        }
        content = content.clone();
    }

    /** A file with {@code content} encoded as UTF-8. */
    public static SourceFile of(String name, String content) {
        return new SourceFile(name, content.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of the file's bytes. */
    @Override
    public byte[] content() {
        return content.clone();
    }

    /** The file's size in bytes. */
    public int size() {
        return content.length;
    }

    /** The path's segments: directories first, the file's own name last. */
    public String[] segments() {
        return name.split("/", -1);
    }

    /**
     * What is wrong with {@code name} as a file name, as the rest of the sentence {@code "files[2].name: "}
     * (e.g. {@code "must be a relative path without '..'"}), or null when it is a valid name.
     */
    public static @Nullable String nameProblem(String name) {
        if (name.isEmpty()) {
            return "must not be empty";
        }
        if (name.indexOf('\0') >= 0) {
            return "must not contain NUL";
        }
        if (name.indexOf('\\') >= 0) {
            return "must not contain a backslash";
        }
        if (name.startsWith("/")) {
            return "must be a relative path";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            return "must be at most " + MAX_NAME_BYTES + " bytes";
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                return "must be a relative path without '..'";
            }
            if (segment.isEmpty() || segment.equals(".")) {
                return "must not have an empty or '.' segment";
            }
        }
        return null;
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof SourceFile
                && ((SourceFile) other).name.equals(name)
                && Arrays.equals(((SourceFile) other).content, content);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
        return "SourceFile[" + name + ", " + content.length + " bytes]";
    }
}
