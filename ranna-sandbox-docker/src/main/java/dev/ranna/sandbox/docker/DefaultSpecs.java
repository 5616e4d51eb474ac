package dev.ranna.sandbox.docker;

import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The spec map offered when the operator configures none: ranna's shipped languages on current official
 * images (pulled at start, as ranna does). Commands run under the hardened profile: read-only image, a
 * writable work directory and {@code /tmp}, {@code HOME} set to the work directory.
 */
final class DefaultSpecs {

    /**
     * The end of a compile-and-run script: {@code exec ./main "$@"}, every argument passed as it came, empty
     * ones included. ranna's command syntax strips every double quote (it has no nesting), so the script
     * makes its quotes with printf and evals the line; the arguments are never part of the evaluated text.
     * The script's {@code $0} is the source file name, which follows it in the command.
     */
    static final String EXEC_WITH_ARGUMENTS = "eval exec ./main $(printf '\\042$@\\042')";

    static final SpecMap MAP = build();

    private DefaultSpecs() {}

    /** {@code /bin/sh -c "compile && exec ./main "$@"" file}: compiles {@code file} to {@code ./main}. */
    private static String compiled(String compile, String file) {
        return "/bin/sh -c \"" + compile + " && " + EXEC_WITH_ARGUMENTS + "\" " + file;
    }

    private static SpecMap build() {
        var map = new LinkedHashMap<String, SpecEntry>();
        spec(map, "python3", "python:3-alpine", "python3", null, "main.py", "python", "print('Hello, world!')");
        alias(map, "python", "python3");
        alias(map, "py", "python3");
        spec(map, "node", "node:lts-alpine", "node", null, "index.js", "javascript", "console.log('Hello, world!');");
        alias(map, "javascript", "node");
        alias(map, "js", "node");
        spec(
                map,
                "golang",
                "golang:alpine",
                "go run",
                null,
                "main.go",
                "go",
                "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"Hello, world!\")\n}\n");
        alias(map, "go", "golang");
        spec(map, "bash", "bash:5", "bash", null, "main.sh", "shell", "echo 'Hello, world!'");
        spec(map, "ash", "alpine:3", "/bin/ash", null, "main.ash", "shell", "echo 'Hello, world!'");
        alias(map, "sh", "ash");
        spec(
                map,
                "rust",
                "rust:alpine",
                null,
                compiled("rustc -o main main.rs", "main.rs"),
                "main.rs",
                "rust",
                "fn main() {\n    println!(\"Hello, world!\");\n}\n");
        spec(
                map,
                "java",
                "eclipse-temurin:21-jdk-alpine",
                "java",
                null,
                "Main.java",
                "java",
                "public class Main {\n    public static void main(String[] args) {\n"
                        + "        System.out.println(\"Hello, world!\");\n    }\n}\n");
        spec(
                map,
                "cpp",
                "gcc:14",
                null,
                compiled("g++ -O1 -o main main.cpp", "main.cpp"),
                "main.cpp",
                "cpp",
                "#include <iostream>\n\nint main() {\n    std::cout << \"Hello, world!\" << std::endl;\n}\n");
        alias(map, "c++", "cpp");
        spec(
                map,
                "c",
                "gcc:14",
                null,
                compiled("gcc -O1 -o main main.c", "main.c"),
                "main.c",
                "c",
                "#include <stdio.h>\n\nint main(void) {\n    puts(\"Hello, world!\");\n}\n");
        spec(map, "php", "php:cli-alpine", "php", null, "main.php", "php", "<?php\necho \"Hello, world!\\n\";\n");
        spec(map, "ruby", "ruby:alpine", "ruby", null, "main.rb", "ruby", "puts 'Hello, world!'");
        spec(map, "elixir", "elixir:alpine", "elixir", null, "main.exs", "elixir", "IO.puts(\"Hello, world!\")");
        spec(
                map,
                "deno",
                "denoland/deno:alpine",
                "deno run",
                null,
                "main.ts",
                "typescript",
                "console.log('Hello, world!');");
        alias(map, "typescript", "deno");
        alias(map, "ts", "deno");
        return new SpecMap(map);
    }

    private static void spec(
            Map<String, SpecEntry> map,
            String key,
            String image,
            @Nullable String entrypoint,
            @Nullable String cmd,
            String filename,
            String language,
            String example) {
        map.put(key, new SpecEntry(null, image, null, entrypoint, cmd, filename, language, example, null));
    }

    private static void alias(Map<String, SpecEntry> map, String key, String target) {
        map.put(key, SpecEntry.alias(target));
    }
}
