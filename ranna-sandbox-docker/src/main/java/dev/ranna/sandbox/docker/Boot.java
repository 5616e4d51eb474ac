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

    /**
     * The command of a terminal ({@code tty}) container. A terminal's line discipline would echo the
     * payload and rewrite its bytes ({@code \r}, Ctrl-C, Ctrl-D, line length), so the script first saves
     * the terminal's settings, switches it to raw without echo and sets its size to 80x24 (Docker's
     * terminal starts at 0x0, and API 1.41 has no size at create), then prints {@link #RAW}: the sandbox
     * sends the payload only after it saw that. The header restores the settings after the code is
     * written and prints {@link #COOKED}; the sandbox sends the program's input only after that, so
     * every byte of it meets the line discipline the program will see (echo, {@code \n} to {@code
     * \r\n}). Both markers are taken out of the output. {@code stty} is needed in such an image.
     */
    static final String TTY_SCRIPT = "ranna_tty=$(stty -g) && stty raw -echo rows "
            + dev.ranna.engine.spi.SandboxRequest.TERMINAL_ROWS + " cols "
            + dev.ranna.engine.spi.SandboxRequest.TERMINAL_COLUMNS
            + " && printf '\\033[ranna-raw]' || exit 125; " + SCRIPT;

    /**
     * Printed by {@link #TTY_SCRIPT} once the terminal is raw. It must not start with byte 0, 1 or 2:
     * docker-java tells a terminal's raw stream from a multiplexed one by the first byte.
     */
    static final byte[] RAW = "\033[ranna-raw]".getBytes(StandardCharsets.US_ASCII);

    /** Printed by a terminal run's header once the terminal's settings are restored. */
    static final byte[] COOKED = "\033[ranna-run]".getBytes(StandardCharsets.US_ASCII);

    /** How the program's standard input is connected. */
    enum Input {
        /** None: the program's stdin is {@code /dev/null} (EOF at once). The code may be read with {@code head}. */
        NONE,
        /** The container's stdin (a pipe) stays the program's: the code must be read without reading ahead. */
        PIPE,
        /** As {@link #PIPE}, on a terminal set up by {@link #TTY_SCRIPT}. */
        TERMINAL
    }

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
        return payload(workdir, filename, code, command, environment, Input.NONE);
    }

    /**
     * The payload for one run whose standard input is connected as {@code input}. With {@link Input#PIPE}
     * and {@link Input#TERMINAL} the code is read with {@code dd iflag=fullblock}, which reads exactly its
     * bytes and no further (busybox {@code head -c} reads ahead: measured), falling back to {@code dd bs=1},
     * and the program keeps the container's stdin, where its input follows the payload.
     */
    static byte[] payload(
            String workdir,
            String filename,
            String code,
            List<String> command,
            Map<String, String> environment,
            Input input) {
        byte[] codeBytes = code.getBytes(StandardCharsets.UTF_8);
        var script = new StringBuilder();
        script.append("unset TINI_KILL_PROCESS_GROUP\n");
        script.append("cd ").append(quote(workdir)).append(" || exit 125\n");
        if (input == Input.NONE) {
            script.append("head -c ")
                    .append(codeBytes.length)
                    .append(" > ")
                    .append(quote(filename))
                    .append(" || exit 125\n");
            script.append("exec </dev/null\n");
        } else if (codeBytes.length == 0) {
            script.append(": > ").append(quote(filename)).append(" || exit 125\n");
        } else {
            script.append("{ dd bs=")
                    .append(codeBytes.length)
                    .append(" count=1 iflag=fullblock 2>/dev/null || dd bs=1 count=")
                    .append(codeBytes.length)
                    .append(" 2>/dev/null; } > ")
                    .append(quote(filename))
                    .append(" || exit 125\n");
        }
        if (input == Input.TERMINAL) {
            script.append("stty \"$ranna_tty\" && printf '\\033[ranna-run]' || exit 125\n");
            script.append("unset ranna_tty\n");
        }
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
