package dev.ranna.sandbox.process;

import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.json.SpecMapReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The language map offered when the operator configured none: the runtimes installed on this host, each
 * with a hello-world example. The languages are data, {@value #RESOURCE} beside this class in ranna's
 * spec file format, read by the same parser as an operator's spec file; this class only decides which of
 * them this host can run.
 *
 * <p>A language is offered when every host program its command names by absolute path is installed, and
 * an alias when its target is. Runtimes are named by absolute path below {@code /usr}, the only system
 * tree visible in the sandbox, where {@code /bin/x} is {@code /usr/bin/x}.
 */
final class DefaultSpecs {

    /** The resource that holds every default language, installed or not. */
    static final String RESOURCE = "default-specs.yaml";

    private DefaultSpecs() {}

    /** Read once, on first use. */
    private static final class All {
        static final SpecMap MAP = SpecMapReader.create().readResource(DefaultSpecs.class, RESOURCE);

        private All() {}
    }

    /** Every default language, whether or not its runtime is installed here. */
    static SpecMap all() {
        return All.MAP;
    }

    /** The languages whose runtimes are installed here. */
    static SpecMap detect() {
        return detect(path -> Files.isExecutable(path) && !Files.isDirectory(path));
    }

    /** The languages whose every needed file passes {@code installed}, with the aliases of those. */
    static SpecMap detect(Predicate<Path> installed) {
        var languages = new HashSet<String>();
        all().entries().forEach((key, spec) -> {
            if (!spec.isAlias() && needs(spec).stream().allMatch(installed)) {
                languages.add(key);
            }
        });
        var offered = new LinkedHashMap<String, SpecEntry>();
        all().entries().forEach((key, spec) -> {
            String target = spec.use();
            if (languages.contains(target == null ? key : target)) {
                offered.put(key, spec);
            }
        });
        return new SpecMap(offered);
    }

    /**
     * The host programs a spec's commands name by absolute path, as the sandbox sees them: every word of
     * its compile command, entrypoint and cmd (a {@code sh -c} script included) that starts with {@code /usr/}, {@code
     * /bin/} or {@code /sbin/}, the last two mapped below {@code /usr}. Other absolute paths, such as the
     * run's private {@code /tmp}, are not host programs.
     */
    static Set<Path> needs(SpecEntry spec) {
        var needs = new LinkedHashSet<Path>();
        addPrograms(spec.compile(), needs);
        addPrograms(spec.entrypoint(), needs);
        addPrograms(spec.cmd(), needs);
        return needs;
    }

    private static void addPrograms(@Nullable String command, Set<Path> needs) {
        if (command == null) {
            return;
        }
        for (String word : command.replace('"', ' ').trim().split("\\s+")) {
            if (word.startsWith("/usr/")) {
                needs.add(Path.of(word));
            } else if (word.startsWith("/bin/") || word.startsWith("/sbin/")) {
                needs.add(Path.of("/usr" + word));
            }
        }
    }
}
