package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.ScriptedSandbox.Script;
import dev.ranna.protocol.ExecutionRequest;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * micrometer-core is an optional dependency of the engine: an embedder who gives no meter registry runs
 * without it. Proved by running the engine from a class loader that has the test class path except
 * Micrometer's jars (its parent is the platform loader, so nothing leaks in from the test's own loader).
 */
@Timeout(30)
class EngineWithoutMicrometerTest {

    @Test
    void anEngineWithoutAMeterRegistryRunsWithoutMicrometerOnTheClassPath() throws Exception {
        List<URL> urls = new ArrayList<>();
        List<String> hidden = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.replace(File.separatorChar, '/').contains("/io/micrometer/")) {
                hidden.add(entry);
            } else {
                urls.add(url(entry));
            }
        }
        assertThat(hidden).as("Micrometer jars on the test class path, to hide").isNotEmpty();

        try (var loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> loader.loadClass("io.micrometer.core.instrument.MeterRegistry"))
                    .isInstanceOf(ClassNotFoundException.class);
            Class<?> probe = loader.loadClass(Probe.class.getName());
            assertThat(probe.getClassLoader()).isSameAs(loader);
            @SuppressWarnings("unchecked")
            var call = (Callable<String>) probe.getDeclaredConstructor().newInstance();
            assertThat(call.call()).isEqualTo("ran without micrometer");
        }
    }

    private static URL url(String entry) {
        try {
            return Path.of(entry).toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(entry, e);
        }
    }

    /** Runs one EXEC on an engine built without a meter registry; loaded in the loader without Micrometer. */
    public static final class Probe implements Callable<String> {
        @Override
        public String call() throws Exception {
            var sandbox = new ScriptedSandbox();
            sandbox.enqueue(
                    Script.create().stdout("ran without ").stdout("micrometer").exit(0));
            try (var engine = RannaEngine.builder()
                    .sandbox(sandbox)
                    .specs(SpecRegistry.parse("sh:\n  entrypoint: sh\n  filename: main.sh\n"))
                    .build()) {
                ExecOutcome outcome =
                        engine.exec(ExecutionRequest.of("sh", "x"), "k").get(10, TimeUnit.SECONDS);
                return ((ExecOutcome.Completed) outcome).response().stdout();
            }
        }
    }
}
