package dev.ranna.protocol;

import java.util.Objects;
import java.util.Optional;

/**
 * One entry of EXEC's {@code files} (feature {@code "files"}): {@code {"name", "content", "encoding"}}, a
 * file written beside the main one.
 *
 * <p>This record only holds what the client sent: whether the name is acceptable (a relative path without
 * {@code ..}, not the main file, no duplicate) and whether base64 content is valid is decided by the engine.
 *
 * @param name the file's relative {@code /}-separated path in the run's working directory ({@code name})
 * @param content the file's content as sent: text, or base64 text for {@link Encoding#BASE64} ({@code content})
 * @param encoding how {@code content} is to be read ({@code encoding}, default {@link Encoding#UTF8})
 */
public record ProjectFile(String name, String content, Encoding encoding) {

    /** How a file's {@code content} is written on the wire. */
    public enum Encoding {
        /** The content is the file's text, written as UTF-8: {@code "utf8"}, the default. */
        UTF8("utf8"),
        /** The content is the file's bytes in standard base64 with padding: {@code "base64"}. */
        BASE64("base64");

        private final String wireName;

        Encoding(String wireName) {
            this.wireName = wireName;
        }

        /** The JSON value of this encoding. */
        public String wireName() {
            return wireName;
        }

        /** The encoding named exactly {@code wireName} on the wire, if any. */
        public static Optional<Encoding> fromWireName(String wireName) {
            for (Encoding encoding : values()) {
                if (encoding.wireName.equals(wireName)) {
                    return Optional.of(encoding);
                }
            }
            return Optional.empty();
        }
    }

    public ProjectFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(encoding, "encoding");
    }

    /** A text file. */
    public static ProjectFile utf8(String name, String content) {
        return new ProjectFile(name, content, Encoding.UTF8);
    }

    /** A binary file, {@code base64} its content in standard base64. */
    public static ProjectFile base64(String name, String base64) {
        return new ProjectFile(name, base64, Encoding.BASE64);
    }
}
