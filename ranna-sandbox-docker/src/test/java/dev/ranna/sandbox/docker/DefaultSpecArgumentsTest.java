package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.tck.ArgumentEcho;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every default spec passes {@link ArgumentEcho#ARGUMENTS} ({@code ["", "x y", ""]}) through as exactly
 * three arguments, in order. The default images are not pulled in tests, so the command the container would
 * run is run here on the host, in a directory laid out like the container's work directory: the
 * compile-and-run wrappers ({@code /bin/sh -c ...}) with the host's {@code /bin/sh} (dash, as in the
 * Debian-based {@code gcc} image) and the host's gcc and g++ (a stand-in compiler where the host has none);
 * the interpreters with the host's own where installed. Every spec's command, run or not, must end with the
 * file name and the arguments verbatim, or go through a wrapper that is run.
 */
class DefaultSpecArgumentsTest {

    /** The stand-in for a compiler the host lacks: makes {@code -o FILE} a shell script echoing its arguments. */
    private static final String STAND_IN_COMPILER = "#!/bin/sh\n"
            + "while [ $# -gt 0 ]; do if [ \"$1\" = -o ]; then out=$2; fi; shift; done\n"
            + "printf '#!/bin/sh\\necho $#\\nfor a in \"$@\"; do echo \"[$a]\"; done\\n' > \"$out\"\n"
            + "chmod +x \"$out\"\n";

    /** Compilers replaced by {@link #STAND_IN_COMPILER} where the host has none in /usr/bin. */
    private static final List<String> STAND_INS = List.of("gcc", "g++", "rustc", "go");

    @TempDir
    Path work;

    @Test
    void everyDefaultSpecPassesEmptyArgumentsThroughInOrder() throws Exception {
        var registry = SpecRegistry.of(DefaultSpecs.map());
        List<String> ran = new ArrayList<>();
        for (LanguageSpec spec : registry.specs()) {
            String program = ArgumentEcho.program(spec.language())
                    .orElseThrow(() -> new AssertionError("no argument echo for " + spec.language()));
            List<String> command = new SandboxRequest(
                            RunId.random(), spec, program, ArgumentEcho.ARGUMENTS, Map.of(), Duration.ofSeconds(30))
                    .command();
            boolean wrapper = command.size() > 2
                    && command.get(0).equals("/bin/sh")
                    && command.get(1).equals("-c");
            if (!wrapper) {
                // a compiled program gets the arguments alone; an interpreter the file name, then them
                var tail = new ArrayList<String>();
                if (!spec.hasCompileStage()) {
                    tail.add(spec.filename());
                }
                tail.addAll(ArgumentEcho.ARGUMENTS);
                assertThat(command.subList(command.size() - tail.size(), command.size()))
                        .as("%s: %s", spec.key(), command)
                        .isEqualTo(tail);
            }
            String first = spec.hasCompileStage() ? spec.compile().get(0) : command.get(0);
            Path interpreter = first.startsWith("/") ? Path.of(first) : Path.of("/usr/bin", first);
            if (!Files.isExecutable(interpreter) && !STAND_INS.contains(first)) {
                continue; // not on this host; its command shape was checked above
            }
            if (spec.hasCompileStage()) {
                // a binary is run as ./main, never through a shell (the work directory is the cwd)
                assertThat(command.get(0)).as(spec.key()).isIn("./main", "java");
            }
            String output = runOnHost(spec, program, command);
            assertThat(output)
                    .as("%s: %s", spec.key(), command)
                    .isEqualTo(ArgumentEcho.expected(ArgumentEcho.ARGUMENTS));
            ran.add(spec.key());
        }
        // The compiled ones are what broke before: they must have been run, not only looked at.
        assertThat(ran).contains("c", "cpp", "rust", "golang", "java", "bash", "python3");
    }

    private String runOnHost(LanguageSpec spec, String program, List<String> command) throws Exception {
        Path dir = Files.createTempDirectory(work, spec.key());
        Files.writeString(dir.resolve(spec.filename()), program);
        Path stubs = Files.createDirectories(work.resolve("stubs"));
        for (String compiler : STAND_INS) {
            if (!Files.isExecutable(Path.of("/usr/bin", compiler))) {
                Path stub = stubs.resolve(compiler);
                Files.writeString(stub, STAND_IN_COMPILER);
                stub.toFile().setExecutable(true);
            }
        }
        var builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("PATH", stubs + ":/usr/local/bin:/usr/bin:/bin");
        builder.environment().put("HOME", dir.toString());
        if (spec.hasCompileStage()) {
            // the JVM looks a program up on its own PATH, not the child's: resolve it on the child's
            var argv = new ArrayList<>(spec.compile());
            for (String entry : builder.environment().get("PATH").split(":")) {
                if (!argv.get(0).contains("/") && Files.isExecutable(Path.of(entry, argv.get(0)))) {
                    argv.set(0, Path.of(entry, argv.get(0)).toString());
                    break;
                }
            }
            var compile = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
            compile.environment().putAll(builder.environment());
            Process compiler = compile.start();
            compiler.getOutputStream().close();
            String said = new String(compiler.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(compiler.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(compiler.exitValue()).as("%s: %s", spec.compile(), said).isZero();
        }
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }
}
