package dev.ranna.sandbox.tck;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Programs, one per language of the sandboxes' default specs, that print how many arguments they got and
 * then each one in brackets on its own line: the check that a spec's command passes arguments through
 * verbatim (the web app sends empty ones whenever its Arguments field has a double space).
 */
public final class ArgumentEcho {

    /** Empty arguments around one with a space: a wrapper's unquoted {@code $@} made this one argument. */
    public static final List<String> ARGUMENTS = List.of("", "x y", "");

    private static final Map<String, String> PROGRAMS = Map.ofEntries(
            Map.entry(
                    "python",
                    "import sys\nprint(len(sys.argv) - 1)\nfor a in sys.argv[1:]:\n    print('[' + a + ']')\n"),
            Map.entry("shell", "echo $#\nfor a in \"$@\"; do echo \"[$a]\"; done\n"),
            Map.entry(
                    "javascript",
                    "const a = process.argv.slice(2);\nconsole.log(a.length);\nfor (const x of a) console.log('[' + x + ']');\n"),
            Map.entry(
                    "typescript",
                    "const a = Deno.args;\nconsole.log(a.length);\nfor (const x of a) console.log('[' + x + ']');\n"),
            Map.entry(
                    "java",
                    "public class Main {\n    public static void main(String[] args) {\n"
                            + "        System.out.println(args.length);\n"
                            + "        for (String a : args) System.out.println(\"[\" + a + \"]\");\n    }\n}\n"),
            Map.entry("perl", "print scalar(@ARGV), \"\\n\";\nprint \"[$_]\\n\" for @ARGV;\n"),
            Map.entry(
                    "c",
                    "#include <stdio.h>\nint main(int argc, char **argv) {\n    printf(\"%d\\n\", argc - 1);\n"
                            + "    for (int i = 1; i < argc; i++) printf(\"[%s]\\n\", argv[i]);\n    return 0;\n}\n"),
            Map.entry(
                    "cpp",
                    "#include <iostream>\nint main(int argc, char **argv) {\n    std::cout << argc - 1 << \"\\n\";\n"
                            + "    for (int i = 1; i < argc; i++) std::cout << \"[\" << argv[i] << \"]\\n\";\n}\n"),
            Map.entry(
                    "rust",
                    "fn main() {\n    let a: Vec<String> = std::env::args().skip(1).collect();\n"
                            + "    println!(\"{}\", a.len());\n    for x in a {\n        println!(\"[{}]\", x);\n    }\n}\n"),
            Map.entry(
                    "go",
                    "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Println(len(os.Args) - 1)\n"
                            + "\tfor _, a := range os.Args[1:] {\n\t\tfmt.Printf(\"[%s]\\n\", a)\n\t}\n}\n"),
            Map.entry("ruby", "puts ARGV.length\nARGV.each { |a| puts \"[#{a}]\" }\n"),
            Map.entry(
                    "php",
                    "<?php\necho count($argv) - 1, \"\\n\";\nforeach (array_slice($argv, 1) as $a) echo \"[$a]\\n\";\n"),
            Map.entry("lua", "print(#arg)\nfor i = 1, #arg do print(\"[\" .. arg[i] .. \"]\") end\n"),
            Map.entry("tcl", "puts [llength $argv]\nforeach a $argv { puts \"\\[$a\\]\" }\n"),
            Map.entry(
                    "elixir",
                    "IO.puts(length(System.argv()))\nEnum.each(System.argv(), &IO.puts(\"[\" <> &1 <> \"]\"))\n"));

    private ArgumentEcho() {}

    /** The program for a spec's display {@code language} (python, shell, c, ...), if there is one. */
    public static Optional<String> program(String language) {
        return Optional.ofNullable(PROGRAMS.get(language));
    }

    /** What a program of {@link #program} prints for {@code arguments}. */
    public static String expected(List<String> arguments) {
        return arguments.size() + "\n"
                + arguments.stream().map(a -> "[" + a + "]\n").collect(Collectors.joining());
    }
}
