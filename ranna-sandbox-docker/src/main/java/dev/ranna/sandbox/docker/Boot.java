package dev.ranna.sandbox.docker;

import dev.ranna.engine.spi.SourceFile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
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
        return payload(workdir, filename, code, command, environment, input, Project.NONE);
    }

    /**
     * More than one file, and a compile stage: what a run adds to the plain payload.
     *
     * <p>{@code files} are written before the code, in order, each with {@code dd} reading exactly its
     * bytes, at {@code ./<name>} (so no name is ever taken for an option, and the name is one single-quoted
     * word: {@code $(x)}, {@code -rf} or a newline are written literally), after one {@code mkdir -p} of
     * every directory they need. The shell's {@code noclobber} is on, so nothing that is already there is
     * ever written through; the container is fresh (one run per container) and no program has run in it
     * yet, so nothing is.
     *
     * <p>{@code compile}, when not empty, runs after the code is written, with stdin from {@code
     * /dev/null}. When it returns, every process left in the container but the shell and init is killed
     * ({@code kill -9 -1}: all run as the run's uid), and the shell prints {@code marker} and the
     * compiler's status as three digits and a newline, on stdout and on stderr, so each stream's compiler
     * output ends exactly there. A non-zero status ends the container with that status. Otherwise the
     * shell waits for a line on stdin (the sandbox sends {@link #GO} once it has set the run's limits) and
     * only then starts the program.
     *
     * @param files the run's other files, names valid ({@link SourceFile})
     * @param compile the compile stage's argv, empty for none
     * @param marker the per-run random boundary marker (ASCII letters and digits only)
     */
    record Project(List<SourceFile> files, List<String> compile, String marker) {
        static final Project NONE = new Project(List.of(), List.of(), "");

        Project {
            files = List.copyOf(files);
            compile = List.copyOf(compile);
            if (!compile.isEmpty() && !marker.matches("[A-Za-z0-9]{16,}")) {
                throw new IllegalArgumentException("marker must be at least 16 letters or digits");
            }
        }

        boolean compiles() {
            return !compile.isEmpty();
        }
    }

    /** The signals a client may send that a shell can catch (SIGKILL, SIGSTOP and SIGCONT aside). */
    private static final String SIGNALS = "INT TERM HUP QUIT USR1 USR2";

    /** What the sandbox sends to start the program after a clean compile. */
    static final byte[] GO = "go\n".getBytes(StandardCharsets.US_ASCII);

    /** The payload for one run with {@code project}'s files and compile stage. */
    static byte[] payload(
            String workdir,
            String filename,
            String code,
            List<String> command,
            Map<String, String> environment,
            Input input,
            Project project) {
        byte[] codeBytes = code.getBytes(StandardCharsets.UTF_8);
        var script = new StringBuilder();
        script.append("unset TINI_KILL_PROCESS_GROUP\n");
        script.append("cd ").append(quote(workdir)).append(" || exit 125\n");
        if (!project.files().isEmpty()) {
            script.append("set -C\n");
            var directories = new LinkedHashSet<String>();
            for (SourceFile file : project.files()) {
                String[] segments = file.segments();
                var path = new StringBuilder(".");
                for (int i = 0; i < segments.length - 1; i++) {
                    path.append('/').append(segments[i]);
                    directories.add(path.toString());
                }
            }
            if (!directories.isEmpty()) {
                script.append("mkdir -p");
                directories.forEach(directory -> script.append(' ').append(quote(directory)));
                script.append(" || exit 125\n");
            }
            for (SourceFile file : project.files()) {
                exactly(script, file.size(), "./" + file.name());
            }
        }
        if (input == Input.NONE) {
            script.append("head -c ")
                    .append(codeBytes.length)
                    .append(" > ")
                    .append(quote(filename))
                    .append(" || exit 125\n");
        } else {
            exactly(script, codeBytes.length, filename);
        }
        if (project.compiles()) {
            // SIGNAL during the compile is the compiler's (tini sends it to the whole process group): the
            // shell catches them (a handler, not an ignore, so the compiler still gets the default) and
            // waits on, so a compiler that traps one compiles on
            script.append("trap : ").append(SIGNALS).append('\n');
            for (String word : project.compile()) {
                script.append(quote(word)).append(' ');
            }
            script.append("</dev/null\n");
            script.append("ranna_s=$?\n");
            script.append("kill -9 -1 2>/dev/null\n");
            String mark = "printf '%s%03d\\n' " + quote(project.marker()) + " \"$ranna_s\"";
            script.append(mark).append('\n');
            if (input != Input.TERMINAL) {
                script.append(mark).append(" >&2\n");
            }
            script.append("[ \"$ranna_s\" -eq 0 ] || exit \"$ranna_s\"\n");
            script.append("IFS= read -r ranna_s || exit 125\n");
            script.append("unset ranna_s\n");
            script.append("trap - ").append(SIGNALS).append('\n');
        }
        if (input == Input.NONE) {
            script.append("exec </dev/null\n");
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
        int size = header.length + codeBytes.length + 16;
        for (SourceFile file : project.files()) {
            size += file.size();
        }
        var out = new ByteArrayOutputStream(size);
        out.writeBytes((header.length + " " + lines + "\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(header);
        for (SourceFile file : project.files()) {
            out.writeBytes(file.content());
        }
        out.writeBytes(codeBytes);
        return out.toByteArray();
    }

    /**
     * Appends a command that writes exactly the next {@code length} bytes of stdin to {@code path} and no
     * more: {@code dd} with {@code iflag=fullblock}, else (busybox before 1.33) one byte per read.
     */
    private static void exactly(StringBuilder script, int length, String path) {
        if (length == 0) {
            script.append(": > ").append(quote(path)).append(" || exit 125\n");
            return;
        }
        script.append("{ dd bs=")
                .append(length)
                .append(" count=1 iflag=fullblock 2>/dev/null || dd bs=1 count=")
                .append(length)
                .append(" 2>/dev/null; } > ")
                .append(quote(path))
                .append(" || exit 125\n");
    }

    /** {@code word} as one single-quoted shell word. */
    static String quote(String word) {
        if (word.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("contains a NUL character");
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
