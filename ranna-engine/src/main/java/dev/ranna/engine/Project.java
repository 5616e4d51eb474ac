package dev.ranna.engine;

import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SourceFile;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ProjectFile;
import dev.ranna.protocol.RequestLimits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The files and limits of one EXEC, checked against this server: the files decoded and named safely, and
 * the run's own limits, each the client's where it lowered the server's and the server's otherwise.
 *
 * <p>Built on the thread that hands the EXEC to the session (typically a network event loop): every step
 * is linear in what the client sent, which the transport's message limit bounds, and nothing is allocated
 * for a length the client merely claims.
 */
final class Project {
    /** No files, the server's own limits. */
    final List<SourceFile> files;

    final Duration timeout;
    final Duration compileTimeout;
    final @Nullable Long memoryLimit;
    final long maxOutputBytes;

    private Project(
            List<SourceFile> files,
            Duration timeout,
            Duration compileTimeout,
            @Nullable Long memoryLimit,
            long maxOutputBytes) {
        this.files = files;
        this.timeout = timeout;
        this.compileTimeout = compileTimeout;
        this.memoryLimit = memoryLimit;
        this.maxOutputBytes = maxOutputBytes;
    }

    /** Why an EXEC's files or limits are refused; carries no stack trace. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        private final transient Rejection rejection;

        Refused(Rejection rejection) {
            super(rejection.message(), null, false, false);
            this.rejection = rejection;
        }

        Rejection rejection() {
            return rejection;
        }
    }

    /**
     * Checks {@code request}'s files and limits for a run of {@code spec}: at most {@link RunLimits#maxFiles()}
     * files, each name valid ({@link SourceFile#nameProblem}), none a duplicate, the main file's name, or a
     * directory of another (or the other way round); base64 canonical; code, stdin and files together
     * within {@link RunLimits#maxCodeBytes()}; each limit at most the server's own.
     *
     * @param memoryLimit the server's memory limit of one run ({@code sandbox.memory})
     * @throws Refused with the ERROR to answer, naming the field
     */
    static Project check(ExecutionRequest request, LanguageSpec spec, RunLimits limits, long memoryLimit)
            throws Refused {
        List<SourceFile> files = files(request, spec, limits);
        RequestLimits asked = request.limits();
        Duration timeout = lowered("timeoutms", asked.timeoutMs(), limits.timeout());
        Duration compileTimeout = lowered("compiletimeoutms", asked.compileTimeoutMs(), limits.compileTimeout());
        Long memory = lowered("memorybytes", asked.memoryBytes(), memoryLimit);
        Long output = lowered("outputbytes", asked.outputBytes(), limits.maxOutputBytes());
        return new Project(files, timeout, compileTimeout, memory, output != null ? output : limits.maxOutputBytes());
    }

    private static List<SourceFile> files(ExecutionRequest request, LanguageSpec spec, RunLimits limits)
            throws Refused {
        List<ProjectFile> sent = request.files();
        if (sent.isEmpty()) {
            return List.of();
        }
        if (sent.size() > limits.maxFiles()) {
            throw new Refused(
                    Rejection.invalid("files: too many files: " + sent.size() + ", the limit is " + limits.maxFiles()));
        }
        checkNames(sent, spec.filename());
        var files = new ArrayList<SourceFile>(sent.size());
        long total = (long) DefaultEngineSession.utf8Length(request.code())
                + DefaultEngineSession.utf8Length(request.stdin());
        for (int i = 0; i < sent.size(); i++) {
            ProjectFile file = sent.get(i);
            byte[] content = content(file, i);
            total += content.length;
            files.add(new SourceFile(file.name(), content));
        }
        if (total > limits.maxCodeBytes()) {
            throw new Refused(Rejection.tooLarge(
                    "code, stdin and files are too large: " + total + " bytes, the limit is " + limits.maxCodeBytes()));
        }
        return List.copyOf(files);
    }

    /** A file's bytes: UTF-8 text, or canonical base64 (padded, no whitespace, no stray bits). */
    private static byte[] content(ProjectFile file, int index) throws Refused {
        switch (file.encoding()) {
            case UTF8:
                return file.content().getBytes(StandardCharsets.UTF_8);
            case BASE64: {
                String text = file.content();
                byte[] bytes;
                try {
                    bytes = Base64.getDecoder().decode(text);
                } catch (IllegalArgumentException e) {
                    throw notBase64(index);
                }
                // The decoder accepts a missing padding and non-zero trailing bits; one text per content.
                if (!Base64.getEncoder().encodeToString(bytes).equals(text)) {
                    throw notBase64(index);
                }
                return bytes;
            }
        }
        throw new AssertionError(file.encoding());
    }

    private static Refused notBase64(int index) {
        return new Refused(Rejection.invalid("files[" + index + "].content: not valid base64"));
    }

    /** Who holds a path: another file, or the main file (index {@link #MAIN}). */
    private static final int MAIN = -1;

    private static String holder(int index) {
        return index == MAIN ? "the main file" : "files[" + index + "]";
    }

    /**
     * Names: valid, unique, not the main file's, and no file where another needs a directory. Messages name
     * the entries by index and never echo the client's name back.
     */
    private static void checkNames(List<ProjectFile> files, String mainFile) throws Refused {
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> directories = new HashMap<>();
        // The main file's name is a plain name (SpecRegistry checks it), so it is never a directory.
        names.put(mainFile, MAIN);
        for (int i = 0; i < files.size(); i++) {
            String name = files.get(i).name();
            String field = "files[" + i + "].name: ";
            String problem = SourceFile.nameProblem(name);
            if (problem != null) {
                throw new Refused(Rejection.invalid(field + problem));
            }
            Integer other = names.get(name);
            if (other != null) {
                throw new Refused(Rejection.invalid(field
                        + (other == MAIN ? "must not be the main file's name" : "duplicate of " + holder(other))));
            }
            other = directories.get(name);
            if (other != null) {
                throw new Refused(Rejection.invalid(field + "is a directory of " + holder(other)));
            }
            for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
                String directory = name.substring(0, slash);
                other = names.get(directory);
                if (other != null) {
                    throw new Refused(Rejection.invalid(field + "a directory in its path is " + holder(other)));
                }
                directories.putIfAbsent(directory, i);
            }
            names.put(name, i);
        }
    }

    private static Duration lowered(String field, @Nullable Long askedMs, Duration server) throws Refused {
        Long millis = lowered(field, askedMs, server.toMillis());
        return millis == null ? server : Duration.ofMillis(millis);
    }

    /** The client's limit when it is at most the server's, null when it sent none. */
    private static @Nullable Long lowered(String field, @Nullable Long asked, long server) throws Refused {
        if (asked == null) {
            return null;
        }
        if (asked > server) {
            throw new Refused(Rejection.invalid("limits." + field + ": at most " + server));
        }
        return asked;
    }
}
