package dev.ranna.sandbox.process;

import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The language map offered when the operator configured none: the runtimes installed on this host, each
 * with a hello-world example. Runtimes are used by absolute path below {@code /usr}, the only system tree
 * visible in the sandbox; a language whose runtime is missing is not offered.
 *
 * <p>Compiled languages compile into the private {@code /tmp} and then run the binary. Their command is a
 * {@code sh -c} script with {@code $0} as the source file, ending in {@link #EXEC_WITH_ARGUMENTS}.
 */
final class DefaultSpecs {

    private static final String HELLO = "Hello, World!";

    private DefaultSpecs() {}

    /**
     * The end of a compile-and-run script: {@code exec /tmp/main "$@"}, every argument passed as it came,
     * empty ones included. ranna's command syntax strips every double quote (it has no nesting), so the
     * script makes its quotes with printf and evals the line; the arguments themselves are never part of
     * the evaluated text. An unquoted {@code $@} dropped empty arguments: {@code ["", "x y", ""]} arrived as
     * one.
     */
    static final String EXEC_WITH_ARGUMENTS = "eval exec /tmp/main $(printf '\\042$@\\042')";

    /** One candidate language. */
    private record Candidate(
            String key,
            List<String> needs,
            String entrypoint,
            String filename,
            String language,
            String example,
            List<String> aliases) {}

    private static final List<Candidate> CANDIDATES = List.of(
            new Candidate(
                    "python3",
                    List.of("/usr/bin/python3"),
                    "/usr/bin/python3",
                    "main.py",
                    "python",
                    "print(\"" + HELLO + "\")\n",
                    List.of("python", "py")),
            new Candidate(
                    "sh",
                    List.of("/usr/bin/sh"),
                    "/bin/sh",
                    "main.sh",
                    "shell",
                    "echo \"" + HELLO + "\"\n",
                    List.of("shell")),
            new Candidate(
                    "bash",
                    List.of("/usr/bin/bash"),
                    "/bin/bash",
                    "main.sh",
                    "shell",
                    "echo \"" + HELLO + "\"\n",
                    List.of()),
            new Candidate(
                    "node",
                    List.of("/usr/bin/node"),
                    "/usr/bin/node",
                    "main.js",
                    "javascript",
                    "console.log(\"" + HELLO + "\");\n",
                    List.of("javascript", "js", "nodejs")),
            new Candidate(
                    "java",
                    List.of("/usr/bin/java"),
                    // Single-file source launch; C1 only and serial GC start about twice as fast.
                    "/usr/bin/java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xss1m",
                    "Main.java",
                    "java",
                    "public class Main {\n    public static void main(String[] args) {\n"
                            + "        System.out.println(\"" + HELLO + "\");\n    }\n}\n",
                    List.of()),
            new Candidate(
                    "perl",
                    List.of("/usr/bin/perl"),
                    "/usr/bin/perl",
                    "main.pl",
                    "perl",
                    "print \"" + HELLO + "\\n\";\n",
                    List.of()),
            new Candidate(
                    "c",
                    List.of("/usr/bin/gcc", "/usr/bin/sh"),
                    compiled("/usr/bin/gcc -O1 -o /tmp/main $0 -lm"),
                    "main.c",
                    "c",
                    "#include <stdio.h>\n\nint main(void) {\n    printf(\"" + HELLO + "\\n\");\n    return 0;\n}\n",
                    List.of("gcc")),
            new Candidate(
                    "cpp",
                    List.of("/usr/bin/g++", "/usr/bin/sh"),
                    compiled("/usr/bin/g++ -O1 -o /tmp/main $0"),
                    "main.cpp",
                    "cpp",
                    "#include <iostream>\n\nint main() {\n    std::cout << \"" + HELLO + "\" << std::endl;\n"
                            + "    return 0;\n}\n",
                    List.of("c++", "g++")),
            new Candidate(
                    "rust",
                    List.of("/usr/bin/rustc", "/usr/bin/sh"),
                    compiled("/usr/bin/rustc -o /tmp/main $0"),
                    "main.rs",
                    "rust",
                    "fn main() {\n    println!(\"" + HELLO + "\");\n}\n",
                    List.of("rs")),
            new Candidate(
                    "go",
                    List.of("/usr/bin/go", "/usr/bin/sh"),
                    "/bin/sh -c \"set -f; IFS=; export GOCACHE=/tmp/gocache GOPATH=/tmp/go;"
                            + " /usr/bin/go build -o /tmp/main $0 && " + EXEC_WITH_ARGUMENTS + "\"",
                    "main.go",
                    "go",
                    "package main\n\nimport \"fmt\"\n\nfunc main() {\n    fmt.Println(\"" + HELLO + "\")\n}\n",
                    List.of("golang")),
            new Candidate(
                    "ruby",
                    List.of("/usr/bin/ruby"),
                    "/usr/bin/ruby",
                    "main.rb",
                    "ruby",
                    "puts \"" + HELLO + "\"\n",
                    List.of()),
            new Candidate(
                    "php",
                    List.of("/usr/bin/php"),
                    "/usr/bin/php",
                    "main.php",
                    "php",
                    "<?php\necho \"" + HELLO + "\\n\";\n",
                    List.of()),
            new Candidate(
                    "lua",
                    List.of("/usr/bin/lua"),
                    "/usr/bin/lua",
                    "main.lua",
                    "lua",
                    "print(\"" + HELLO + "\")\n",
                    List.of()),
            new Candidate(
                    "tcl",
                    List.of("/usr/bin/tclsh"),
                    "/usr/bin/tclsh",
                    "main.tcl",
                    "tcl",
                    "puts \"" + HELLO + "\"\n",
                    List.of("tclsh")));

    private static String compiled(String compile) {
        return "/bin/sh -c \"set -f; IFS=; " + compile + " && " + EXEC_WITH_ARGUMENTS + "\"";
    }

    /** The languages whose runtimes are installed here. */
    static SpecMap detect() {
        return detect(path -> Files.isExecutable(path) && !Files.isDirectory(path));
    }

    /** The languages whose every needed file passes {@code installed}. */
    static SpecMap detect(Predicate<Path> installed) {
        var entries = new LinkedHashMap<String, SpecEntry>();
        var aliases = new LinkedHashMap<String, String>();
        for (Candidate candidate : CANDIDATES) {
            if (candidate.needs().stream().map(Path::of).allMatch(installed)) {
                entries.put(candidate.key(), entry(candidate));
                candidate.aliases().forEach(alias -> aliases.putIfAbsent(alias, candidate.key()));
            }
        }
        for (Map.Entry<String, String> alias : aliases.entrySet()) {
            entries.putIfAbsent(alias.getKey(), SpecEntry.alias(alias.getValue()));
        }
        return new SpecMap(entries);
    }

    private static SpecEntry entry(Candidate candidate) {
        @Nullable String cmd = null; // ranna's default: the file name
        return new SpecEntry(
                null,
                null,
                null,
                candidate.entrypoint(),
                cmd,
                candidate.filename(),
                candidate.language(),
                candidate.example(),
                null);
    }
}
