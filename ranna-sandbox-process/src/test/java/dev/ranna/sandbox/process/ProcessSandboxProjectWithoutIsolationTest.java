package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.SourceFile;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.tck.Infrastructure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Project runs with {@code sandbox.process.isolation=none}: the run's host directory is the program's,
 * for both stages, and files land there owned by the run's uid.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessSandboxProjectWithoutIsolationTest {
    private ProcessSandbox sandbox;

    @BeforeAll
    void create() throws Exception {
        sandbox = (ProcessSandbox) new ProcessSandboxProvider()
                .create(SandboxConfig.defaults().with(ProcessSandboxConfig.ISOLATION, "none"));
    }

    @AfterAll
    void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void aMultiFileCProgramWithFilesInASubdirectoryCompilesThenRuns() throws Exception {
        Infrastructure.require(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is not installed");
        var spec = LanguageSpec.builder("c", "main.c")
                .compile("/bin/sh -c \"exec /usr/bin/gcc -O1 -Iinclude -o main ./*.c\"")
                .cmd("./main")
                .build();
        var request = SandboxRequest.builder(
                        RunId.random(),
                        spec,
                        "#include <stdio.h>\n#include \"util.h\"\nint main(void) { printf(\"%d\\n\", twice(4)); return 0; }\n")
                .files(List.of(
                        SourceFile.of("include/util.h", "int twice(int x);\n"),
                        SourceFile.of("util.c", "int twice(int x) { return 2 * x; }\n")))
                .timeout(TIMEOUT)
                .build();
        var sink = CollectingSink.create();
        var execution = sandbox.start(request, sink);
        sink.attach(execution);
        var status = TestSupport.await(execution, TIMEOUT);
        assertThat(status.exitCode()).as(sink.stderr()).isZero();
        assertThat(sink.compiled()).isNotNull();
        assertThat(sink.stdout()).isEqualTo("8\n");
        assertThat(TestSupport.runDirectoriesLeft(sandbox)).isEmpty();
    }
}
