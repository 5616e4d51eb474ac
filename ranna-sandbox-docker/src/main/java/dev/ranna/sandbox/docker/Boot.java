package dev.ranna.sandbox.docker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * How code reaches a container: over the container's stdin, with no host mount and no archive call.
 *
 * <p>Every container starts {@code /bin/sh -c }{@link #SCRIPT}, which waits on stdin. A run attaches and
 * sends a payload: a line with the number {@code K} of header lines, {@code K} lines of shell generated here
 * (every user-supplied word single-quoted), then exactly the code's bytes. The header writes the code with
 * {@code head -c <length>} (so no end-of-file is needed: docker-java cannot half-close an attach), points
 * stdin at {@code /dev/null}, and {@code exec}s the program with the request's environment through
 * {@code env}. The image therefore needs {@code /bin/sh}, {@code head} and {@code env}, which every shell
 * based image has. Exit status 125 means this boot step failed (the shell prints why on stderr).
 */
final class Boot {

    /** The container's command; reads the header lines, then evaluates them. */
    static final String SCRIPT =
            "IFS= read -r k || exit 125; s=; while [ \"$k\" -gt 0 ]; do IFS= read -r l || exit 125;"
                    + " s=\"$s$l\n\"; k=$((k-1)); done; eval \"$s\"";

    private Boot() {}

    /**
     * The payload for one run.
     *
     * @param workdir the working directory (a tmpfs owned by the run's user)
     * @param filename the code's file name, a plain name
     * @param code the program text
     * @param command the program's argv
     * @param environment added to the program's environment
     * @throws IllegalArgumentException if a word contains NUL, which no argv or environment can carry
     */
    static byte[] payload(
            String workdir, String filename, String code, List<String> command, Map<String, String> environment) {
        byte[] codeBytes = code.getBytes(StandardCharsets.UTF_8);
        var script = new StringBuilder();
        script.append("cd ").append(quote(workdir)).append(" || exit 125\n");
        script.append("head -c ")
                .append(codeBytes.length)
                .append(" > ")
                .append(quote(filename))
                .append(" || exit 125\n");
        script.append("exec </dev/null\n");
        script.append("exec");
        if (!environment.isEmpty()) {
            script.append(" env --");
            environment.forEach((key, value) -> script.append(' ').append(quote(key + "=" + value)));
        }
        for (String word : command) {
            script.append(' ').append(quote(word));
        }
        script.append('\n');
        String header = script.toString();
        int lines = 0;
        for (int i = 0; i < header.length(); i++) {
            if (header.charAt(i) == '\n') {
                lines++;
            }
        }
        var out = new ByteArrayOutputStream(header.length() + codeBytes.length + 16);
        out.writeBytes((lines + "\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(header.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(codeBytes);
        return out.toByteArray();
    }

    /** {@code word} as one single-quoted shell word. */
    static String quote(String word) {
        if (word.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("contains a NUL character");
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
