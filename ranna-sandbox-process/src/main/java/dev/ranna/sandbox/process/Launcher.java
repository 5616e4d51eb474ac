package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.SandboxRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Builds the host command line of one run. The chain, each step exec'ing the next in the same process:
 *
 * <ol>
 *   <li>{@code sh -c JOIN}: writes its own pid into the run's {@code cgroup.procs} files, so the program
 *       and everything it forks are limited from their first instruction (a pid written after start
 *       would miss children forked in between); opens the bubblewrap options file as fd 3, the code file
 *       as fd 4, the syscall filter as fd 5 and, for a terminal run, the control FIFO as fd 6, and leaves
 *       its stdin (the server's pipe) to the program;
 *   <li>{@code prlimit}: RLIMIT_CPU, NOFILE, FSIZE, CORE=0 (and NPROC when no pids cgroup exists);
 *   <li>{@code setpriv} (only when the server is root): the run's own unprivileged uid, no groups, no
 *       capabilities, no-new-privs. bubblewrap then creates an unprivileged user namespace; run as root it
 *       would map the sandbox user to host root (see the environment notes);
 *   <li>{@code bwrap --args 3 -- command...}: namespaces, read-only {@code /usr}, private {@code /tmp} and
 *       {@code /work} tmpfs, the code copied from fd 4 into {@code /work}, and the syscall filter ({@link
 *       SeccompBpf}) read from fd 5 ({@code --seccomp 5}) and installed just before the program starts.
 * </ol>
 *
 * <p>The bubblewrap options, including the program's environment, travel through a root-only (0600) file
 * in the run's root-only directory, opened by the root launcher as fd 3, not the command line: {@code
 * /proc/<pid>/cmdline} is readable by every host user, {@code environ} is not, and no variable of the
 * request (LD_PRELOAD, ...) ever reaches the helpers that still run as root. The launcher's stdin is the
 * program's: the server pumps the run's input into it.
 *
 * <p>A terminal run ({@link Run#tty()}) runs util-linux {@code script} as the program's parent inside the
 * sandbox, on a private devpts: the run's own bounded instance ({@link Run#ptsDir()}, see {@link Ptys}),
 * or bubblewrap's unbounded one ({@code --dev /dev}) when the server cannot mount one. {@code script} relays the pipes to
 * the terminal's master, its child sets the size, starts the resize loop in a session of its own
 * (reading {@code cols rows} lines from fd 6, a FIFO the server writes, and running {@code stty} on the
 * terminal, which sends SIGWINCH) and execs the program as the terminal's session leader.
 */
final class Launcher {

    /** The launcher's exit code when it could not enter the cgroup or open the code. */
    static final int SETUP_FAILED = 125;

    private static final String OPEN_CONTROL_AND_STATUS =
            "[ \"$A\" = /dev/null ] || exec 6<>\"$A\" || { echo 'ranna: sandbox setup failed' >&2; exit 125; }\n"
                    + "[ \"$B\" = /dev/null ] || exec 8>\"$B\" || { echo 'ranna: sandbox setup failed' >&2; exit 125; }\n";
    private static final String JOIN = "p=$$\n"
            + "while [ \"$1\" != -- ]; do\n"
            + "  echo $p 2>/dev/null >\"$1\" || { echo 'ranna: sandbox setup failed' >&2; exit 125; }\n"
            + "  shift\n"
            + "done\n"
            + "shift\n";
    // The shell exports PWD (the host run directory); unset, or bwrap, which is PID 1 inside the sandbox,
    // carries the host path in an environ every program can read at /proc/1/environ. $2 is the syscall
    // filter (or /dev/null when there is none), opened as fd 5 for bwrap's --seccomp.
    // $1 is bwrap's options file (fd 3), $2 the code (fd 4), $3 the filter (fd 5), $4 the terminal's
    // control FIFO (fd 6, opened read-write so opening never blocks) and $5 the exit status file (fd 8,
    // written by the waiter), each /dev/null when the run has none.
    private static final String BWRAP_SCRIPT = JOIN
            + "exec 3<\"$1\" 4<\"$2\" 5<\"$3\" || { echo 'ranna: sandbox setup failed' >&2; exit 125; }\n"
            + OPEN_CONTROL_AND_STATUS.replace("$A", "$4").replace("$B", "$5")
            + "shift 5\n"
            + "unset PWD OLDPWD\n"
            + "exec \"$@\"\n";
    // $1 and $2: the control FIFO and the exit status file, as above.
    private static final String PLAIN_SCRIPT =
            JOIN + OPEN_CONTROL_AND_STATUS.replace("$A", "$1").replace("$B", "$2") + "shift 2\n" + "exec \"$@\"\n";
    // A launcher started before its run (see ProcessSandbox): it joins the cgroups, then blocks on stdin
    // until a run hands it the rest of its command line, one word per line after a count. The shell's
    // read takes a pipe one byte at a time, so what follows on stdin stays there: the program's input.
    private static final String PRESTARTED_SCRIPT = JOIN
            + "IFS= read -r n || exit 125\n"
            + "case $n in ''|*[!0-9]*) exit 125;; esac\n"
            + "set --\n"
            + "while [ \"$n\" -gt 0 ]; do\n"
            + "  IFS= read -r a || exit 125\n"
            + "  set -- \"$@\" \"$a\"\n"
            + "  n=$((n - 1))\n"
            + "done\n"
            + BWRAP_SCRIPT.substring(JOIN.length());

    /** PATH inside the sandbox. */
    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /**
     * What to run on the host.
     *
     * @param bwrapOptions bubblewrap's options (NUL-separated), to write to {@link Run#optionsFile()}
     *     before the launcher starts (the {@link #probe} reads them on stdin); empty without bubblewrap
     */
    record Command(List<String> argv, byte[] bwrapOptions) {}

    /**
     * Per-run inputs.
     *
     * @param optionsFile where bubblewrap's options go (root-only, in the run's root-only directory)
     * @param controlFifo a terminal run's resize FIFO, or null for a run without a terminal
     * @param statusFile where the {@link #WAITER} writes the program's wait status (root-only, in a
     *     root-only directory), or null to run without the waiter (no perl here)
     * @param ptsDir a terminal run's own devpts instance on the host (mounted with {@code max=}), bound
     *     as its {@code /dev/pts}; null for bubblewrap's unbounded devpts, and for runs without a terminal
     * @param workDir a project run's work directory on the host ({@link WorkDirs#newWorkDir}), bound as
     *     {@code /work} for both its stages, with the code and files already in it ({@code codeFile} is
     *     then {@code /dev/null}); null for a fresh tmpfs {@code /work} with the code copied from fd 4
     */
    record Run(
            List<String> command,
            Map<String, String> environment,
            Path codeFile,
            String filename,
            List<Path> cgroupProcs,
            int uid,
            int cpuSeconds,
            boolean nprocFallback,
            Path optionsFile,
            @Nullable Path controlFifo,
            @Nullable Path statusFile,
            @Nullable Path ptsDir,
            @Nullable Path workDir) {
        boolean tty() {
            return controlFifo != null;
        }
    }

    private final HostTools tools;
    private final ProcessSandboxConfig config;
    /** bubblewrap's options before {@code /dev}'s. */
    private final List<String> headBwrapOptions;
    /** bubblewrap's options after {@code /dev}'s. */
    private final List<String> tailBwrapOptions;
    /** A run without a terminal: head, {@link #minimalDev()}, tail. */
    private final List<String> fixedBwrapOptions;
    /** Whether terminal runs get their own bounded devpts ({@link Run#ptsDir()}). */
    private final boolean ptyBound;
    /** perl for the {@link #WAITER}, or null: runs then have no status file. */
    final @Nullable Path perl;
    /** The syscall filter's file (a {@link SeccompBpf} program), or null to run unfiltered. */
    private final @Nullable Path seccompFilter;

    Launcher(HostTools tools, ProcessSandboxConfig config, @Nullable Path seccompFilter) {
        this(tools, config, seccompFilter, false);
    }

    /** @param ptyBound whether terminal runs come with their own bounded devpts ({@link Run#ptsDir()}) */
    Launcher(HostTools tools, ProcessSandboxConfig config, @Nullable Path seccompFilter, boolean ptyBound) {
        this.tools = tools;
        this.config = config;
        this.seccompFilter = seccompFilter;
        this.headBwrapOptions = headBwrapOptions(config, seccompFilter != null);
        this.tailBwrapOptions = tailBwrapOptions(config);
        this.fixedBwrapOptions = concat(headBwrapOptions, minimalDev(), tailBwrapOptions);
        this.ptyBound = ptyBound;
        this.perl = tools.perl();
    }

    private static List<String> concat(List<String> head, List<String> dev, List<String> tail) {
        var all = new ArrayList<String>(head.size() + dev.size() + tail.size());
        all.addAll(head);
        all.addAll(dev);
        all.addAll(tail);
        return List.copyOf(all);
    }

    /** The environment every program starts from, before the request's own variables. */
    static Map<String, String> baseEnvironment(String home) {
        var env = new LinkedHashMap<String, String>();
        env.put("PATH", PATH);
        env.put("HOME", home);
        env.put("LANG", "C.UTF-8");
        env.put("TMPDIR", "/tmp");
        return env;
    }

    /**
     * bubblewrap refuses to start when its own command line plus the options read from {@code --args}
     * exceed this many words ({@code MAX_ARGS} in bubblewrap.c), whatever their size.
     */
    static final int BWRAP_MAX_ARGS = 9000;

    /**
     * How many words bubblewrap would count for a run with this command and environment: {@link
     * #bubblewrap} puts the command on bwrap's command line and each variable in three option words.
     * Must be at most {@link #BWRAP_MAX_ARGS}.
     */
    int bubblewrapWords(int commandWords, int environmentVariables, boolean tty) {
        // bwrap --args 3 -- command...; options: fixed (with --seccomp 5), --perms 0644 --file 4 /work/<name>
        // --clearenv, --setenv K V...
        if (tty) {
            // script -q -e -c HELPER /dev/null: the command's words are inside HELPER.
            int dev = ptyBound ? minimalDev().size() + TERMINAL_DEV_WORDS : 2;
            return 4 + 6 + headBwrapOptions.size() + dev + tailBwrapOptions.size() + 6 + 3 * environmentVariables;
        }
        // perl -e WAITER -- before the command.
        int waiter = perl != null ? 4 : 0;
        return 4 + waiter + commandWords + fixedBwrapOptions.size() + 6 + 3 * environmentVariables;
    }

    /** The command for a run under bubblewrap. */
    Command bubblewrap(Run run) {
        List<String> argv = joiningShell(run);
        argv.addAll(bubblewrapChain(run));
        return new Command(argv, bubblewrapOptions(run));
    }

    /** {@code sh -c BWRAP_SCRIPT ranna-launch <cgroup.procs files> --}: the chain's first, root, step. */
    private List<String> joiningShell(Run run) {
        var argv = new ArrayList<String>();
        argv.add(tools.shell.toString());
        argv.add("-c");
        argv.add(BWRAP_SCRIPT);
        argv.add("ranna-launch");
        run.cgroupProcs().forEach(path -> argv.add(path.toString()));
        argv.add("--");
        return argv;
    }

    /**
     * A bubblewrap launcher to start before its run is known: it joins {@code cgroupProcs} and waits for
     * {@link #handOff}. Joining a cgroup can take a whole RCU grace period (the first cgroup v1 migration
     * after an idle spell waits about 10 ms for one), so this takes it off the run's own path.
     */
    Command prestarted(List<Path> cgroupProcs) {
        var argv = new ArrayList<String>();
        argv.add(tools.shell.toString());
        argv.add("-c");
        argv.add(PRESTARTED_SCRIPT);
        argv.add("ranna-launch");
        cgroupProcs.forEach(path -> argv.add(path.toString()));
        argv.add("--");
        return new Command(argv, new byte[0]);
    }

    /**
     * What a {@link #prestarted} launcher reads on stdin to become the same chain as {@link #bubblewrap}
     * for {@code run} (which must name that launcher's cgroups): the chain's words one per line after
     * their count (bubblewrap's options go to {@link Run#optionsFile()}, written from {@link
     * #bubblewrapOptions}). Null when a word contains a line break or NUL, which the launcher cannot read
     * back verbatim; such a run starts a launcher of its own. What follows on stdin is the program's input.
     */
    byte @Nullable [] handOff(Run run) {
        List<String> chain = bubblewrapChain(run);
        var out = new ByteArrayOutputStream();
        out.writeBytes((chain.size() + "\n").getBytes(StandardCharsets.US_ASCII));
        for (String word : chain) {
            if (word.indexOf('\n') >= 0 || word.indexOf('\r') >= 0 || word.indexOf('\0') >= 0) {
                return null;
            }
            out.writeBytes(word.getBytes(StandardCharsets.UTF_8));
            out.write('\n');
        }
        return out.toByteArray();
    }

    /**
     * A sandbox set up ahead of its run ({@link ProcessSandbox}'s pool): the same chain as {@link
     * #bubblewrap} (cgroup join, rlimits, uid, namespaces, mounts, syscall filter), with {@link #STUB} as
     * the program. {@code run} names the sandbox's cgroups, uid, CPU limit, options and status files; its
     * command, code and environment are not used: they come later through {@link #warmHandOff}. The stub
     * starts with {@link #baseEnvironment} only.
     */
    Command warm(Run run) {
        List<String> argv = joiningShell(run);
        argv.addAll(bubblewrapChain(run, List.of(String.valueOf(perl), "-e", STUB, POOLED)));
        var options = new ArrayList<>(fixedBwrapOptions);
        options.add("--clearenv");
        baseEnvironment("/work").forEach((key, value) -> {
            options.add("--setenv");
            options.add(key);
            options.add(value);
        });
        return new Command(argv, nulSeparated(options));
    }

    /**
     * What a {@link #warm} sandbox reads on stdin to become {@code command} in {@code environment} with
     * {@code code} as {@code /work/<filename>}: {@code "<header bytes> <code bytes>\n"}, the header (the
     * file name, the variable count, {@code KEY=value} each, the word count, the words, each ended by NUL),
     * then the code's bytes. What follows on stdin is the program's input. Null when a run cannot be handed
     * over that way (a NUL in a word, {@code =} or NUL in a variable's name, a file name with {@code /}):
     * such a run starts a launcher of its own.
     */
    static byte @Nullable [] warmHandOff(
            String filename, byte[] code, Map<String, String> environment, List<String> command) {
        if (command.isEmpty()
                || filename.isEmpty()
                || filename.indexOf('/') >= 0
                || filename.indexOf('\0') >= 0
                || filename.equals(".")
                || filename.equals("..")) {
            return null;
        }
        var header = new ByteArrayOutputStream();
        if (!field(header, filename)) {
            return null;
        }
        field(header, Integer.toString(environment.size()));
        for (var variable : environment.entrySet()) {
            String key = variable.getKey();
            if (key.isEmpty() || key.indexOf('=') >= 0 || !field(header, key + "=" + variable.getValue())) {
                return null;
            }
        }
        field(header, Integer.toString(command.size()));
        for (String word : command) {
            if (!field(header, word)) {
                return null;
            }
        }
        var out = new ByteArrayOutputStream(header.size() + code.length + 24);
        out.writeBytes((header.size() + " " + code.length + "\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(header.toByteArray());
        out.writeBytes(code);
        return out.toByteArray();
    }

    private static boolean field(ByteArrayOutputStream out, String value) {
        if (value.indexOf('\0') >= 0) {
            return false;
        }
        out.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        out.write(0);
        return true;
    }

    /**
     * A {@link #warm} sandbox's program (perl, run by bubblewrap's pid 1 under the filter, as the run's
     * uid): writes {@link #READY}, reads one {@link #warmHandOff} from stdin byte-exactly (sysread; what follows stays for the
     * program), writes the code as a new file in its own fresh {@code /work} (never following a link),
     * takes the request's environment (and {@code PWD}, as bubblewrap sets it), renames itself {@code
     * ranna-waiter} (no longer {@link #POOLED}), then is the {@link #WAITER}: forks the program with the signals'
     * default dispositions, writes its pid and wait status to fd 8 and exits like it. Anything malformed
     * ends it with {@link #SETUP_FAILED} before a program exists.
     */
    /**
     * The last word of a waiting pooled sandbox's command lines (its bubblewrap and its stub), so that a
     * look at the host's processes can tell it from a run: the stub renames itself once it has its run.
     */
    static final String POOLED = "ranna-pooled-sandbox";

    /**
     * What a {@link #STUB} writes to its stdout once it runs, so the whole chain before it is in place:
     * the server reads it before it offers the sandbox to a run, so a run never waits for a setup.
     */
    static final char READY = 'R';

    /**
     * {@code O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW} for perl's {@code sysopen}: as numbers where they are known
     * (x86-64, arm64: the generic and the x86 values of {@code O_NOFOLLOW} differ), else from Fcntl, whose
     * loading costs about 1.4 ms of CPU per sandbox. Likewise the waiters compare {@code $!} with EINTR's 4
     * (the same on every Linux) instead of {@code $!{EINTR}}, which loads Errno (about 0.9 ms per run).
     */
    private static final String CREATE_NEW_NOFOLLOW = switch (System.getProperty("os.arch", "")) {
        case "amd64", "x86_64" -> Integer.toString(01 | 0100 | 0200 | 0400000);
        case "aarch64", "arm64" -> Integer.toString(01 | 0100 | 0200 | 0100000);
        default ->
            "do { require Fcntl; Fcntl::O_WRONLY() | Fcntl::O_CREAT() | Fcntl::O_EXCL()" + " | Fcntl::O_NOFOLLOW() }";
    };

    static final String STUB =
            "my @t = qw(HUP INT QUIT TERM USR1 USR2 PIPE TSTP TTIN TTOU); $SIG{$_} = \"IGNORE\" for @t;"
                    + " syswrite(STDOUT, \"" + READY + "\") == 1 or exit 125;"
                    + " sub rd { my ($n) = @_; my $b = \"\"; while (length($b) < $n) {"
                    + " my $r = sysread(STDIN, $b, $n - length($b), length($b)); exit 125 unless $r; } return $b; }"
                    + " my $l = \"\"; while ($l !~ /\\n\\z/) { exit 125 if length($l) > 40; $l .= rd(1); }"
                    + " my ($h, $c) = $l =~ /\\A(\\d+) (\\d+)\\n\\z/ or exit 125;"
                    + " my @f = split /\\0/, rd($h), -1; exit 125 unless @f && pop(@f) eq \"\";"
                    + " my $name = shift @f; my $ne = shift @f; exit 125 unless defined $ne && $ne =~ /\\A\\d+\\z/;"
                    + " my %e = map { split /=/, $_, 2 } splice(@f, 0, $ne); my $na = shift @f;"
                    + " exit 125 unless defined $na && $na =~ /\\A\\d+\\z/ && $na > 0 && @f == $na;"
                    + " exit 125 unless defined $name && $name =~ m{\\A[^/]+\\z};"
                    + " sysopen(my $o, \"/work/$name\", " + CREATE_NEW_NOFOLLOW + ", 0600) or exit 125;"
                    + " my $code = rd($c); while (length $code) { my $w = syswrite($o, $code); exit 125 unless $w;"
                    + " substr($code, 0, $w) = \"\"; } close($o) or exit 125; chmod(0644, \"/work/$name\") or exit 125;"
                    + " $0 = \"ranna-waiter\"; %ENV = (%e, PWD => \"/work\"); my $s; $s = undef unless open($s, \">&=\", 8); my $p = fork;"
                    + " die \"ranna: fork: $!\\n\" unless defined $p;"
                    + " syswrite $s, \"pid $p\\n\" if $s && $p > 0;"
                    + " if ($p == 0) { close $s if $s; $SIG{$_} = \"DEFAULT\" for @t; exec { $f[0] } @f;"
                    + " print STDERR \"ranna: execvp $f[0]: $!\\n\"; exit 1; }"
                    + " 1 while waitpid($p, 0) == -1 && $! == 4; my $w = $?;"
                    + " syswrite $s, ($w & 127 ? \"signal \" . ($w & 127) : \"exit \" . ($w >> 8)) . \"\\n\" if $s;"
                    + " exit($w & 127 ? 128 + ($w & 127) : $w >> 8);";

    /** The code file, the filter file, then {@code prlimit ... -- setpriv ... -- bwrap --args 3 -- command...}. */
    private List<String> bubblewrapChain(Run run) {
        return bubblewrapChain(run, programCommand(run));
    }

    private List<String> bubblewrapChain(Run run, List<String> program) {
        if (tools.bwrap == null) {
            throw new IllegalStateException("bwrap not found");
        }
        var argv = new ArrayList<String>();
        argv.add(run.optionsFile().toString());
        argv.add(run.codeFile().toString());
        argv.add(seccompFilter != null ? seccompFilter.toString() : "/dev/null");
        argv.add(run.controlFifo() != null ? run.controlFifo().toString() : "/dev/null");
        argv.add(run.statusFile() != null ? run.statusFile().toString() : "/dev/null");
        argv.addAll(rlimits(run));
        if (run.uid() >= 0) {
            argv.addAll(tools.setprivArgs(run.uid()));
        }
        argv.add(tools.bwrap.toString());
        argv.add("--args");
        argv.add("3");
        argv.add("--");
        argv.addAll(program);
        return argv;
    }

    /**
     * The program's command, or for a terminal run {@code script} running {@link #ttyHelper} with the
     * program's words. {@code script} runs its command with {@code $SHELL -c} ({@code /bin/sh} unless the
     * request sets SHELL), so each word is single-quoted.
     */
    private List<String> programCommand(Run run) {
        var command = new ArrayList<String>();
        if (run.statusFile() != null) {
            command.addAll(List.of(String.valueOf(perl), "-e", WAITER, "--"));
        }
        command.addAll(run.command());
        if (!run.tty()) {
            return command;
        }
        var helper = new StringBuilder(ttyHelper(perl)).append("exec");
        for (String word : command) {
            helper.append(' ').append(shellQuote(word));
        }
        return List.of(tools.script().toString(), "-q", "-e", "-c", helper.toString(), "/dev/null");
    }

    /**
     * The start of the shell command {@code script} runs on the terminal, before {@code exec} and the
     * program's words: sets 80x24, starts the resize loop (own session: the terminal's signals and the
     * program's process group never reach it; it ends at a line {@code q} or with the run) and closes the
     * FIFO and the loop's copy of the terminal before the program starts. One line: a prestarted
     * launcher reads its words one per line.
     */
    static String ttyHelper(@Nullable Path perl) {
        return "stty cols " + SandboxRequest.TERMINAL_COLUMNS + " rows " + SandboxRequest.TERMINAL_ROWS
                + " 2>/dev/null; exec 7<&0; setsid "
                + (perl != null ? shellQuote(perl.toString()) + PERL_RESIZE_LOOP : STTY_RESIZE_LOOP)
                + " <&6 >/dev/null 2>&1 & exec 6<&- 7<&-; ";
    }

    /**
     * The resize loop with perl: one {@code TIOCSWINSZ} per line, so the program never sees half a resize
     * ({@code stty cols C rows R} sets the two one after the other, and a program that reads the size
     * between them sees, say, 100 columns by the old 24 rows). {@code 0x5414} is {@code TIOCSWINSZ} on
     * x86-64 and arm64; the winsize struct is rows, columns, then two unused pixel sizes.
     */
    private static final String PERL_RESIZE_LOOP = " -e 'open(my $t, \"+<&=\", 7) or exit 1;"
            + " while (my $l = <STDIN>) { my ($c, $r) = split \" \", $l;"
            + " last if !defined $r || $c eq \"q\"; ioctl($t, 0x5414, pack(\"S4\", $r, $c, 0, 0)); }'";

    /** The resize loop without perl: {@code stty}, which applies columns and rows in two steps. */
    private static final String STTY_RESIZE_LOOP = "/bin/sh -c 'while IFS=\" \" read -r c r && [ \"$c\" != q ];"
            + " do stty cols \"$c\" rows \"$r\" <&7 2>/dev/null; done'";

    /**
     * The program's parent in the sandbox (perl, a single line): bubblewrap's pid 1, {@code script -e},
     * shells and Java all turn "killed by signal N" into exit code 128+N, so the wait status itself is
     * written to fd 8 ({@code exit C} or {@code signal N}), the run's status file, which the program does
     * not inherit. The waiter ignores the signals a terminal or a client sends (the program gets them with
     * their default disposition) and exits like bubblewrap would, so its code still reads the same if the
     * file is empty. On a terminal it is the session leader, so the terminal's signals reach it too and
     * are ignored. It runs with the request's environment (PERL5OPT and friends can only
     * spoil the run's own status report).
     */
    static final String WAITER = "my @t = qw(HUP INT QUIT TERM USR1 USR2 PIPE TSTP TTIN TTOU); my $s;"
            + " $s = undef unless open($s, \">&=\", 8); $SIG{$_} = \"IGNORE\" for @t; my $p = fork;"
            + " die \"ranna: fork: $!\\n\" unless defined $p;"
            + " syswrite $s, \"pid $p\\n\" if $s && $p > 0;"
            + " if ($p == 0) { close $s if $s; $SIG{$_} = \"DEFAULT\" for @t; exec { $ARGV[0] } @ARGV;"
            + " print STDERR \"ranna: execvp $ARGV[0]: $!\\n\"; exit 1; }"
            + " 1 while waitpid($p, 0) == -1 && $! == 4; my $w = $?;"
            + " syswrite $s, ($w & 127 ? \"signal \" . ($w & 127) : \"exit \" . ($w >> 8)) . \"\\n\" if $s;"
            + " exit($w & 127 ? 128 + ($w & 127) : $w >> 8);";

    static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** bubblewrap's options for {@code run}: what {@link Run#optionsFile()} must hold. */
    byte[] bubblewrapOptions(Run run) {
        var options = new ArrayList<>(
                run.tty() ? concat(headBwrapOptions, terminalDev(run), tailBwrapOptions) : fixedBwrapOptions);
        Path workDir = run.workDir();
        if (workDir != null) {
            // The project's own /work instead of a fresh tmpfs; the code is in it already.
            int at = -1;
            for (int i = 3; i < options.size() && at < 0; i++) {
                if (options.get(i).equals("/work") && options.get(i - 1).equals("--tmpfs")) {
                    at = i;
                }
            }
            if (at < 0) {
                throw new IllegalStateException("no /work tmpfs in the options");
            }
            options.subList(at - 3, at + 1).clear();
            options.addAll(at - 3, List.of("--bind", workDir.toString(), "/work"));
        } else {
            options.add("--perms");
            options.add("0644");
            options.add("--file");
            options.add("4");
            options.add("/work/" + run.filename());
        }
        options.add("--clearenv");
        run.environment().forEach((key, value) -> {
            options.add("--setenv");
            options.add(key);
            options.add(value);
        });
        return nulSeparated(options);
    }

    /**
     * The command for a run without isolation: the same cgroup join, rlimits and uid drop, then {@code env
     * -i} so the request's environment applies only to the program, after root is gone.
     */
    Command plain(Run run) {
        var argv = new ArrayList<String>();
        argv.add(tools.shell.toString());
        argv.add("-c");
        argv.add(PLAIN_SCRIPT);
        argv.add("ranna-launch");
        run.cgroupProcs().forEach(path -> argv.add(path.toString()));
        argv.add("--");
        argv.add(run.controlFifo() != null ? run.controlFifo().toString() : "/dev/null");
        argv.add(run.statusFile() != null ? run.statusFile().toString() : "/dev/null");
        argv.addAll(rlimits(run));
        if (run.uid() >= 0) {
            argv.addAll(tools.setprivArgs(run.uid()));
        }
        Path env = HostTools.which("env");
        argv.add(env == null ? "/usr/bin/env" : env.toString());
        argv.add("-i");
        run.environment().forEach((key, value) -> argv.add(key + "=" + value));
        // Its own session and process group: signals to the program's group never reach the server's.
        // (Not a process group leader, so setsid execs without forking.)
        argv.add(tools.setsid().toString());
        argv.addAll(programCommand(run));
        return new Command(argv, new byte[0]);
    }

    /** A minimal bubblewrap run of {@code /bin/true}: proves that the sandbox can be made here. */
    Command probe(int uid) {
        if (tools.bwrap == null) {
            throw new IllegalStateException("bwrap not found");
        }
        var argv = new ArrayList<String>();
        if (seccompFilter != null) {
            // The same filter as runs, through the same fd: proves the kernel takes it.
            argv.addAll(List.of(tools.shell.toString(), "-c", "exec 5<\"$1\" || exit 125; shift; exec \"$@\""));
            argv.add("ranna-probe");
            argv.add(seccompFilter.toString());
        }
        if (uid >= 0) {
            argv.addAll(tools.setprivArgs(uid));
        }
        argv.add(tools.bwrap.toString());
        argv.add("--args");
        argv.add("0");
        argv.add("--");
        argv.add("/usr/bin/true");
        var options = new ArrayList<>(fixedBwrapOptions);
        options.add("--clearenv");
        return new Command(argv, nulSeparated(options));
    }

    private List<String> rlimits(Run run) {
        var args = new ArrayList<String>();
        if (tools.prlimit == null) {
            return args;
        }
        args.add(tools.prlimit.toString());
        // Soft limit first: SIGXCPU tells the program (and the exit status) why; SIGKILL a second later.
        args.add("--cpu=" + run.cpuSeconds() + ":" + ((long) run.cpuSeconds() + 1));
        args.add("--nofile=" + config.nofile() + ":" + config.nofile());
        args.add("--fsize=" + config.fileSizeBytes() + ":" + config.fileSizeBytes());
        args.add("--core=0:0");
        if (run.nprocFallback()) {
            args.add("--nproc=" + config.pids() + ":" + config.pids());
        }
        args.add("--");
        return args;
    }

    /** A terminal run's {@code /dev}: see {@link #terminalDev}. */
    private static final int TERMINAL_DEV_WORDS = 6;

    /**
     * A terminal run's {@code /dev}: {@link #minimalDev()} with the run's own devpts instance ({@link
     * Run#ptsDir()}, mounted on the host with {@code max=}) dev-bound as {@code /dev/pts} and {@code
     * /dev/ptmx -> pts/ptmx}; without one, bubblewrap's {@code --dev}, whose devpts has no {@code max=}.
     * {@code --dev-bind}, not {@code --bind}: a plain bind is {@code nodev}, and {@code ptmx} would not open.
     */
    private static List<String> terminalDev(Run run) {
        Path pts = run.ptsDir();
        if (pts == null) {
            return List.of("--dev", "/dev");
        }
        var o = minimalDev();
        o.addAll(List.of("--dev-bind", pts.toString(), "/dev/pts", "--symlink", "pts/ptmx", "/dev/ptmx"));
        return o;
    }

    /** bubblewrap's fixed options up to {@code /dev}'s. */
    private static List<String> headBwrapOptions(ProcessSandboxConfig config, boolean seccomp) {
        var o = new ArrayList<String>();
        if (seccomp) {
            o.add("--seccomp");
            o.add("5");
        }
        o.add("--unshare-all");
        if (config.networking()) {
            o.add("--share-net");
        }
        // An explicit user namespace, and none further inside: no nested namespace tricks.
        o.add("--unshare-user");
        o.add("--disable-userns");
        o.add("--die-with-parent");
        o.add("--new-session");
        o.add("--ro-bind");
        o.add("/usr");
        o.add("/usr");
        for (String top : List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")) {
            Path path = Path.of(top);
            if (Files.isSymbolicLink(path)) {
                try {
                    o.add("--symlink");
                    o.add(Files.readSymbolicLink(path).toString());
                    o.add(top);
                } catch (IOException e) {
                    o.remove(o.size() - 1);
                }
            } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                o.add("--ro-bind");
                o.add(top);
                o.add(top);
            }
        }
        // From /etc only what runtimes need to start; never passwd, shadow, ssh keys or app secrets.
        var etc = new ArrayList<String>(List.of(
                "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"));
        try (DirectoryStream<Path> javas = Files.newDirectoryStream(Path.of("/etc"), "java-*")) {
            javas.forEach(path -> etc.add(path.toString()));
        } catch (IOException e) {
            // No /etc/java-*: no JDK configured there.
        }
        if (config.networking()) {
            etc.addAll(List.of(
                    "/etc/resolv.conf",
                    "/etc/hosts",
                    "/etc/nsswitch.conf",
                    "/etc/gai.conf",
                    "/etc/ssl",
                    "/etc/ca-certificates",
                    "/etc/pki"));
        }
        for (String path : etc) {
            o.add("--ro-bind-try");
            o.add(path);
            o.add(path);
        }
        for (Path bind : config.binds()) {
            o.add("--ro-bind-try");
            o.add(bind.toString());
            o.add(bind.toString());
        }
        o.add("--proc");
        o.add("/proc");
        return List.copyOf(o);
    }

    /** bubblewrap's fixed options after {@code /dev}'s. */
    private static List<String> tailBwrapOptions(ProcessSandboxConfig config) {
        var o = new ArrayList<String>();
        o.add("--size");
        o.add(Long.toString(config.tmpSizeBytes()));
        o.add("--tmpfs");
        o.add("/tmp");
        // /dev is a tmpfs of bwrap's: cap its shm and make the rest read-only, or it is unbounded scratch.
        o.add("--size");
        o.add(Long.toString(config.tmpSizeBytes()));
        o.add("--tmpfs");
        o.add("/dev/shm");
        o.add("--remount-ro");
        o.add("/dev");
        o.add("--size");
        o.add(Long.toString(config.workSizeBytes()));
        o.add("--tmpfs");
        o.add("/work");
        o.add("--chdir");
        o.add("/work");
        // Without this bwrap's root tmpfs stays writable and unbounded.
        o.add("--remount-ro");
        o.add("/");
        o.add("--cap-drop");
        o.add("ALL");
        o.add("--hostname");
        o.add("sandbox");
        return List.copyOf(o);
    }

    /** Device nodes a run gets, bound from the host: what bubblewrap's {@code --dev} binds, no more. */
    static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");

    /**
     * A {@code /dev} like bubblewrap's {@code --dev /dev} but without its private devpts: no {@code
     * /dev/pts}, no {@code /dev/ptmx}, so a run cannot allocate terminals at all. A pseudo-terminal is a
     * kernel-wide resource ({@code kernel.pty.max}, 4096 by default, shared by every devpts instance on the
     * host): a run opening thousands of {@code /dev/ptmx} starved every other run and container. Mounting
     * a devpts with {@code max=} inside the sandbox would need CAP_SYS_ADMIN there, which bubblewrap drops;
     * the server mounts it on the host instead. {@code /dev/tty} stays (it opens the controlling terminal, which a run never has: ENXIO).
     *
     * <p>A terminal run ({@link Run#tty()}) gets this plus a devpts instance of its own, mounted on the
     * host with {@code max=} ({@link Ptys}); where the server cannot mount one, bubblewrap's {@code --dev}
     * instead, whose private devpts lets its programs open further terminals up to what non-initial devpts
     * instances share ({@code kernel.pty.max} minus {@code kernel.pty.reserve}).
     */
    static List<String> minimalDev() {
        var o = new ArrayList<String>();
        o.add("--size");
        o.add("65536");
        o.add("--perms");
        o.add("0755");
        o.add("--tmpfs");
        o.add("/dev");
        for (String device : DEVICES) {
            o.add("--dev-bind");
            o.add("/dev/" + device);
            o.add("/dev/" + device);
        }
        String[][] links = {
            {"/proc/self/fd", "/dev/fd"},
            {"/proc/self/fd/0", "/dev/stdin"},
            {"/proc/self/fd/1", "/dev/stdout"},
            {"/proc/self/fd/2", "/dev/stderr"},
            {"/proc/kcore", "/dev/core"}
        };
        for (String[] link : links) {
            o.add("--symlink");
            o.add(link[0]);
            o.add(link[1]);
        }
        return o;
    }

    private static byte[] nulSeparated(List<String> options) {
        var out = new ByteArrayOutputStream();
        for (String option : options) {
            if (option.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("NUL in a sandbox option");
            }
            out.writeBytes(option.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** For logs: the command with the launcher script elided. */
    static String describe(Command command, @Nullable String elide) {
        var parts = new ArrayList<>(command.argv());
        if (parts.size() > 2) {
            parts.set(2, elide == null ? "<launcher>" : elide);
        }
        return String.join(" ", parts);
    }
}
