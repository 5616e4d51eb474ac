package dev.ranna.sandbox.docker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * How code reaches a container: over the container's stdin, with no host mount and no archive call.
 *
 * <p>Every container starts {@code /bin/sh -c }{@link #SCRIPT}, which waits on stdin. A run attaches and
 * sends a payload: a line {@code N K} (the header's length in bytes and in lines), the header ({@code K}
 * lines of shell generated here, every user-supplied word single-quoted, the last one {@value #END}), then
 * exactly the code's bytes. The script reads the header with {@code dd bs=N count=1 iflag=fullblock}, which
 * reads exactly {@code N} bytes; where {@code dd} lacks {@code iflag=fullblock} (busybox before 1.33) it
 * falls back to reading {@code K} lines with the shell's {@code read}. It evaluates the header only if it
 * ends with {@value #END}, so a header cut short runs nothing. The header writes the code with {@code head
 * -c <length>} (so no end-of-file is needed: docker-java cannot half-close an attach; {@code head} may read
 * ahead, so only the last reader may use it), points stdin at {@code /dev/null}, and {@code exec}s the
 * program with the request's environment through {@code env}. The image therefore needs {@code /bin/sh},
 * {@code dd}, {@code head} and {@code env}, which every shell based image has. Exit status 125 means this
 * boot step failed (the shell prints why on stderr).
 *
 * <p>Why not just {@code read}: it takes one byte per system call so as not to read past the line, and
 * under gVisor every system call is served by its user-space kernel. A header of 20,000 arguments (80 KB)
 * took 4.8 s to read that way on runsc (0.48 s on runc).
 */
final class Boot {

    /** The header's last line (a comment); command substitution drops the newline after it. */
    static final String END = "# end of the ranna boot header";

    /** The container's command: reads the header in one go (else line by line), checks its end, evaluates it. */
    static final String SCRIPT = "IFS=' ' read -r n k || exit 125;"
            + " if ! s=$(dd bs=\"$n\" count=1 iflag=fullblock 2>/dev/null); then"
            + " s=; while [ \"$k\" -gt 0 ]; do IFS= read -r l || exit 125; s=\"$s$l\n\"; k=$((k-1)); done; fi;"
            + " case \"$s\" in *\"\n" + END + "\"|*\"\n" + END + "\n\") ;;"
            + " *) echo 'ranna: incomplete boot header' >&2; exit 125;; esac; eval \"$s\"";

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
        script.append(END).append('\n');
        String text = script.toString();
        int lines = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lines++;
            }
        }
        byte[] header = text.getBytes(StandardCharsets.UTF_8);
        var out = new ByteArrayOutputStream(header.length + codeBytes.length + 16);
        out.writeBytes((header.length + " " + lines + "\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(header);
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
