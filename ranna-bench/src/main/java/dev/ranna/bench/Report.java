package dev.ranna.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Collects the figures and writes them as Markdown. */
final class Report {
    private final StringBuilder head = new StringBuilder();
    private final List<String> targets = new ArrayList<>();
    private final List<String> latency = new ArrayList<>();
    private final List<String> interactive = new ArrayList<>();
    private final List<String> projects = new ArrayList<>();
    private final List<String> throughput = new ArrayList<>();
    private final List<String> streaming = new ArrayList<>();
    private final StringBuilder streamingMemory = new StringBuilder();
    private final StringBuilder connections = new StringBuilder();
    private final StringBuilder jmh = new StringBuilder();
    private final List<String> notes = new ArrayList<>();
    private double totalSeconds;
    private String command = "";
    private boolean quick;

    void header(boolean quick, String args, boolean docker) {
        this.quick = quick;
        this.command = "java -jar ranna-bench/target/ranna-bench.jar" + (args.isEmpty() ? "" : " " + args);
        String cpu = BenchMain.firstLine(Path.of("/proc/cpuinfo"), "model name");
        cpu = cpu.contains(":") ? cpu.substring(cpu.indexOf(':') + 1).trim() : cpu;
        String mem = BenchMain.firstLine(Path.of("/proc/meminfo"), "MemTotal:");
        long memKb = mem.startsWith("MemTotal:") ? Long.parseLong(mem.replaceAll("[^0-9]", "")) : 0;
        head.append("| | |\n|---|---|\n");
        head.append("| date | ")
                .append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
                .append(" |\n");
        head.append("| cores | ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" (")
                .append(cpu)
                .append(") |\n");
        head.append(String.format(Locale.ROOT, "| memory | %.1f GiB |\n", memKb / (1024.0 * 1024)));
        head.append("| kernel | ")
                .append(BenchMain.readAll(List.of("uname", "-srm")))
                .append(" |\n");
        head.append("| JDK | ")
                .append(System.getProperty("java.vm.name"))
                .append(' ')
                .append(System.getProperty("java.runtime.version"))
                .append(" |\n");
        head.append("| server JVM | separate process, `")
                .append(String.join(" ", ServerProcess.JVM_OPTIONS))
                .append("`, NIO transport |\n");
        head.append("| bubblewrap | ")
                .append(BenchMain.readAll(List.of(Raw.which("bwrap"), "--version")))
                .append(" |\n");
        head.append("| Docker | ")
                .append(
                        docker
                                ? "server "
                                        + BenchMain.readAll(List.of("docker", "version", "-f", "{{.Server.Version}}"))
                                        + ", CLI "
                                        + BenchMain.readAll(List.of("docker", "version", "-f", "{{.Client.Version}}"))
                                        + ", image `" + BenchServer.IMAGE + "`"
                                : "not used in this run")
                .append(" |\n");
        head.append("| load average at start | ")
                .append(BenchMain.readAll(List.of("cat", "/proc/loadavg")))
                .append(" (other work on the machine skews every figure; check it is near 0) |\n");
        head.append("| mode | ")
                .append(quick ? "`--quick` (smaller samples; figures are indicative only)" : "full")
                .append(" |\n");
    }

    void target(String name, double value, double threshold, boolean lowerIsBetter, String figure) {
        boolean met = lowerIsBetter ? value <= threshold : value >= threshold;
        if (Double.isNaN(value)) {
            targets.add("| " + name + " | " + figure + " | n/a |");
            return;
        }
        String shown = name.contains("MiB")
                ? String.format(Locale.ROOT, "%.1f MiB", value)
                : String.format(Locale.ROOT, "%.2fx", value);
        targets.add(
                "| " + name + " | **" + shown + "** — " + figure + " | " + (met ? "**met**" : "**not met**") + " |");
    }

    private final List<String> poolMemory = new ArrayList<>();

    /** A paragraph after the latency table: what the process sandbox's pooled sandboxes hold while they wait. */
    void poolMemory(String text) {
        poolMemory.add(text);
    }

    void note(String text) {
        notes.add(text);
    }

    void latencyRow(String label, Stats s, Stats ref, boolean isRef) {
        latency.add("| " + label + " | " + s.n() + " | " + Stats.ms(s.p50()) + " | " + Stats.ms(s.p90()) + " | "
                + Stats.ms(s.p99()) + " | " + Stats.ms(s.mean()) + " | " + s.errors() + " | "
                + (isRef ? "reference" : Stats.ratio(s.p50(), ref.p50())) + " |");
    }

    /** A row of the interactive round trip table; {@code ref} null marks a reference row. */
    void interactiveRow(String label, Stats s, @Nullable Stats ref) {
        interactive.add("| " + label + " | " + s.n() + " | " + Stats.ms(s.p50()) + " | " + Stats.ms(s.p90()) + " | "
                + Stats.ms(s.p99()) + " | " + Stats.ms(s.mean()) + " | " + s.errors() + " | "
                + (ref == null ? "reference" : Stats.ratio(s.p50(), ref.p50())) + " | "
                + (ref == null ? "reference" : Stats.ratio(s.p99(), ref.p99())) + " |");
    }

    /** A row of the project table; {@code ref} null marks a reference row. */
    void projectRow(String label, Stats s, @Nullable Stats ref) {
        projects.add("| " + label + " | " + s.n() + " | " + Stats.ms(s.p50()) + " | " + Stats.ms(s.p90()) + " | "
                + Stats.ms(s.p99()) + " | " + Stats.ms(s.mean()) + " | " + s.errors() + " | "
                + (ref == null ? "reference" : Stats.ratio(s.p50(), ref.p50())) + " |");
    }

    void latencyDockerDone(Stats startWait, Stats cold) {
        notes.add("Docker sandbox cold vs a pre-created container's `docker start -a`: p50 "
                + Stats.ratio(cold.p50(), startWait.p50()) + ".");
    }

    void throughputRow(String kind, int concurrency, BenchMain.Throughput raw, BenchMain.Throughput srv) {
        String rawName = kind.equals("process") ? "bare bubblewrap command" : "`docker run --rm`";
        String srvName =
                kind.equals("process") ? "process sandbox (WebSocket)" : "Docker sandbox, warm pool 2 (WebSocket)";
        throughput.add(String.format(
                Locale.ROOT,
                "| %s | %d | %.1f | %d | %s | %.1f | %d | %s | **%s** |",
                rawName + " / " + srvName,
                concurrency,
                raw.runsPerSecond(),
                raw.errors(),
                Stats.ms(raw.latency().p50()),
                srv.runsPerSecond(),
                srv.errors(),
                Stats.ms(srv.latency().p50()),
                Stats.ratio(srv.runsPerSecond(), raw.runsPerSecond())));
    }

    void streamRow(String label, long bytes, Stats s, double rate, double refRate) {
        streaming.add(String.format(
                Locale.ROOT,
                "| %s | %d | %s | %.0f | %s |",
                label,
                s.n(),
                Stats.ms(s.p50()),
                rate / (1 << 20),
                Stats.ratio(rate, refRate)));
    }

    void streamMemory(BenchMain.Memory fast, BenchMain.Memory slow, long slowRate, long bytes, long slowNanos) {
        streamingMemory
                .append("| client | heap before (after GC) | peak heap during run (after GC) | heap growth |"
                        + " heap after run | RSS before | peak RSS | RSS growth | heap samples |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        row(streamingMemory, "fast", fast);
        row(streamingMemory, String.format(Locale.ROOT, "slow (reads %d MiB/s)", slowRate >> 20), slow);
        streamingMemory.append(String.format(
                Locale.ROOT,
                "\nThe slow client took %.1f s for %d MiB (%.1f MiB/s delivered).\n",
                slowNanos / 1e9,
                bytes >> 20,
                bytes / (slowNanos / 1e9) / (1 << 20)));
    }

    private static void row(StringBuilder sb, String label, BenchMain.Memory m) {
        sb.append("| ")
                .append(label)
                .append(" | ")
                .append(Stats.mib(m.heapBefore()))
                .append(" | ")
                .append(Stats.mib(m.heapPeak()))
                .append(" | **")
                .append(Stats.mib(m.heapGrowth()))
                .append("** | ")
                .append(Stats.mib(m.heapAfter()))
                .append(" | ")
                .append(Stats.mib(m.rssBefore()))
                .append(" | ")
                .append(Stats.mib(m.rssPeak()))
                .append(" | ")
                .append(Stats.mib(m.rssGrowth()))
                .append(" | ")
                .append(m.heapSamples())
                .append(" |\n");
    }

    void connections(
            int asked,
            int opened,
            double openSeconds,
            long heapBefore,
            long heapAfter,
            long rssBefore,
            long rssAfter,
            Stats idlePing,
            Stats loadedPing,
            Stats spreadPing) {
        double n = Math.max(1, opened);
        connections
                .append("| | value |\n|---|---|\n")
                .append(String.format(
                        Locale.ROOT,
                        "| connections opened | %d of %d, in %.1f s (%.0f/s) |\n",
                        opened,
                        asked,
                        openSeconds,
                        opened / openSeconds))
                .append("| server heap after GC, 1 connection | ")
                .append(Stats.mib(heapBefore))
                .append(" |\n")
                .append("| server heap after GC, with them open | **")
                .append(Stats.mib(heapAfter))
                .append("** |\n")
                .append(String.format(
                        Locale.ROOT, "| heap per connection | **%.1f KiB** |\n", (heapAfter - heapBefore) / n / 1024))
                .append("| server RSS, 1 connection / with them open | ")
                .append(Stats.mib(rssBefore))
                .append(" / ")
                .append(Stats.mib(rssAfter))
                .append(" |\n")
                .append(String.format(
                        Locale.ROOT, "| RSS per connection | **%.1f KiB** |\n", (rssAfter - rssBefore) / n / 1024));
        connections
                .append("\n| PING round trip | n | p50 ms | p90 ms | p99 ms | errors |\n|---|---|---|---|---|---|\n")
                .append(pingRow("one connection, no other connection open", idlePing))
                .append(pingRow("the same connection, with the idle connections open", loadedPing))
                .append(pingRow("randomly chosen idle connections (one ping each)", spreadPing));
    }

    private static String pingRow(String label, Stats s) {
        return "| " + label + " | " + s.n() + " | " + Stats.ms(s.p50()) + " | " + Stats.ms(s.p90()) + " | "
                + Stats.ms(s.p99()) + " | " + s.errors() + " |\n";
    }

    void jmh(List<JmhRunner.Row> rows) {
        jmh.append("| benchmark | params | score | error (99.9%) | unit | derived |\n|---|---|---|---|---|---|\n");
        for (JmhRunner.Row r : rows) {
            jmh.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %.3f | %.3f | %s | %s |\n",
                    r.name(),
                    r.params(),
                    r.score(),
                    r.error(),
                    r.unit(),
                    r.derived()));
        }
    }

    void totalSeconds(double seconds) {
        this.totalSeconds = seconds;
        head.append("| load average at end | ")
                .append(BenchMain.readAll(List.of("cat", "/proc/loadavg")))
                .append(" |\n");
    }

    void write(Path out) throws IOException {
        var md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Generated by the `ranna-bench` module (issue 7). Do not edit by hand: the figures are from the "
                + "run described below; the notes in section 6 come from `ranna-bench/src/main/resources/"
                + "dev/ranna/bench/notes.md`.\n\n");
        md.append("## How to reproduce\n\n```sh\n")
                .append("mvn -B -ntp -q -Pbench -pl ranna-bench -am package -DskipTests\n")
                .append(command)
                .append("\n```\n\n")
                .append("Run from the repository root, as root (the process sandbox drops to per-run uids with "
                        + "setpriv), with bubblewrap installed and, for the Docker rows, a Docker engine with the image `"
                        + BenchServer.IMAGE
                        + "` (and `" + BenchServer.TOOLCHAIN_IMAGE + "` for the project rows; both built by `.ci/run`)."
                        + " The process sandbox's project rows need `gcc` on the host. `--quick` takes a few minutes with smaller samples; "
                        + "`--only latency,interactive,projects,throughput,streaming,connections,jmh` picks sections; `--no-docker` skips "
                        + "Docker; `--jfr` profiles the streaming scenario's measured fast runs (server and client JVMs, "
                        + "execution samples every millisecond) into `target/bench-logs/streaming-profile.md`. "
                        + "This run took ")
                .append(String.format(Locale.ROOT, "%.0f s", totalSeconds))
                .append(".\n\n");
        md.append("## Machine\n\n").append(head).append('\n');
        md.append("## Targets\n\n| target | figure | |\n|---|---|---|\n");
        targets.forEach(t -> md.append(t).append('\n'));
        md.append('\n');
        if (quick) {
            md.append("_Quick mode: samples are small, so treat ratios as indicative._\n\n");
        }
        md.append("## 1. Hello world latency, sequential\n\n");
        md.append("Program `echo hello` in language `sh` (`/bin/sh main.sh`: dash on the host, busybox in the image). "
                + "Server figures are measured by the client: from sending the EXEC until the STOP arrived "
                + "(WebSocket), or from sending the POST until the whole response arrived (REST), over loopback, "
                + "so they include JSON encoding/decoding, the engine, the sandbox's setup and cleanup. "
                + "Raw figures are measured by this JVM from `ProcessBuilder.start()` until stdout hit EOF and the "
                + "process was reaped. The minimal bare bubblewrap run is the least bubblewrap does to run "
                + "`sh -c 'echo hello'`: new namespaces, `/usr` and its links, `/proc`, `/dev`, as root. The bare "
                + "bubblewrap command is the process sandbox's own chain with the same "
                + "bubblewrap options on stdin, but without its per-run cgroups (mkdir, limits, join, kill check, "
                + "rmdir) and with one code file written once. The server rows run against two servers at once: "
                + "one with the default pool of 2 sandboxes set up ahead of runs (`sandbox.process.pool`), one "
                + "with the pool off, where every run sets its sandbox up cold. The process rows are interleaved "
                + "(minimal, chain, WebSocket, REST, WebSocket cold, REST cold, minimal, ...); the Docker rows are "
                + "measured one block after the other. "
                + "Every output is checked (`hello`, exit 0); failed runs are counted as errors and excluded.\n\n");
        md.append("| what | n | p50 ms | p90 ms | p99 ms | mean ms | errors | p50 ratio |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        latency.forEach(l -> md.append(l).append('\n'));
        poolMemory.forEach(l -> md.append('\n').append(l).append('\n'));
        md.append("\nRatios: process rows against the minimal bare bubblewrap run, Docker rows against `docker run"
                + " --rm`. "
                + "The Docker CLI rows include the CLI's own start (about 15-20 ms of process start and API "
                + "negotiation per call); the sandbox talks to dockerd over its socket directly.\n\n");
        md.append("### Interactive round trip\n\n");
        md.append("One line (`line i of N`, newline-terminated) written to a `cat` that is already running, timed "
                + "until the same line came back, one line at a time; the `cat` runs for all the lines, so process "
                + "start is not in these figures. Server rows: an EXEC with `\"interactive\": true` running "
                + "`exec cat`, then per line a STDIN op (no event answers it) until the LOG carrying the line "
                + "arrived at the client (`java.net.http`, over loopback). The SPI rows drive each sandbox "
                + "in this JVM as the engine does (`SandboxRequest.stdin` is a queue, the `OutputSink` another), "
                + "without the engine's output coalescing, the JSON and the WebSocket. Raw rows: a host `cat` and "
                + "`docker run --rm -i ... cat` on pipes from this JVM. Every echo is checked.\n\n");
        if (interactive.isEmpty()) {
            md.append("Not run.\n\n");
        } else {
            md.append("| what | n | p50 ms | p90 ms | p99 ms | mean ms | errors | p50 ratio | p99 ratio |\n"
                    + "|---|---|---|---|---|---|---|---|---|\n");
            interactive.forEach(l -> md.append(l).append('\n'));
            md.append("\nRatios: each SPI row against its raw pipe (host `cat`, `docker run -i`), each WebSocket "
                    + "row against its sandbox's SPI row: what the engine, the JSON and the WebSocket add.\n\n");
        }
        md.append("### Projects: a three-file C project, compile + run\n\n");
        md.append("`main.c` + `util.c` + `util.h` (issue 14): the server rows send `main.c` as the code and the "
                + "other two as EXEC `files` to the language `c` of the bench server's spec map (compile stage `"
                + Raw.PROJECT_COMPILE + "`, then `./main`; image `" + BenchServer.TOOLCHAIN_IMAGE + "` in Docker), "
                + "timed from sending the EXEC until its STOP. The reference rows run the same two commands by hand "
                + "in the bare sandbox command: for the process sandbox the files are written to a fresh host "
                + "directory bound as `/work`, then one bare bubblewrap command (the chain of section 1) runs `gcc` "
                + "and a second one `./main`, then the directory is removed, all timed; for Docker one `docker run "
                + "--rm` with the sandbox's profile (memory 512m, the compile stage's limit) writes the files from its arguments, runs `gcc` and `./main`. "
                + "Every output (`sum=5`, exit 0) is checked. The process rows are interleaved.\n\n");
        if (projects.isEmpty()) {
            md.append("Not run.\n\n");
        } else {
            md.append("| what | n | p50 ms | p90 ms | p99 ms | mean ms | errors | p50 ratio |\n"
                    + "|---|---|---|---|---|---|---|---|\n");
            projects.forEach(l -> md.append(l).append('\n'));
            md.append("\nRatios: each server row against the same commands by hand in its bare sandbox command.\n\n");
        }
        md.append("## 2. Throughput\n\n");
        md.append("Closed loop: N workers, each running `echo hello` runs back to back (server: one WebSocket "
                + "connection per worker), for a warm-up period, then a measured window; runs/s counts the runs "
                + "that started and finished inside the window with the right output. The bench server allows "
                + "16 concurrent runs (`maxConcurrentRuns=16`; default 8). Latency p50 is per run, "
                + "under that load.\n\n");
        md.append("| raw / server | concurrency | raw runs/s | raw errors | raw p50 ms | server runs/s | "
                + "server errors | server p50 ms | server/raw |\n|---|---|---|---|---|---|---|---|---|\n");
        throughput.forEach(l -> md.append(l).append('\n'));
        md.append('\n');
        md.append("## 3. Streaming\n\n");
        md.append("A program writing `a` bytes to stdout (`head -c N /dev/zero | tr '\\0' a`), output limit "
                + "raised to 2N for this server. Bytes/s is N divided by the time from sending the EXEC to the "
                + "STOP, after warm-up runs that are not counted (1 for the raw pipes; for the server at least 3, "
                + "and on until 4 s of streaming have passed, as its JIT compiles Netty's write path for its "
                + "first seconds; 1 more for the ranna-client row, on the same server), "
                + "with every byte counted and checked to be `a` at the client. The fast client (the target's "
                + "row) is Netty's WebSocket client with a LOG check on bytes: every text message is checked to "
                + "be well-formed UTF-8; a LOG in the exact form the server writes, to its last byte, has its "
                + "stdout counted and checked in place, and anything else (an escape, another field order, any "
                + "other event) is decoded whole by the protocol's `ClientCodec`. The ranna-client row is the "
                + "same server read by `java.net.http`, whose WebSocket decodes every text message to chars, "
                + "each LOG then decoded by the streaming pass of `ClientCodec.decodeEvent(char[], ...)`. The "
                + "client-alone rows replay one pre-encoded LOG frame (from the server's encoder) over loopback "
                + "as fast as the connection takes it, to each client in this JVM, so they show what each "
                + "client can take at most; a client far above the server's row is not what limits it. "
                + "The client and the server share the machine's cores.\n\n");
        md.append("| what | n | p50 ms | MiB/s | vs host pipe |\n|---|---|---|---|---|\n");
        streaming.forEach(l -> md.append(l).append('\n'));
        md.append("\nServer memory while streaming one run (a separate run from the timed ones). Heap is measured "
                + "inside the server JVM after two `System.gc()` calls, once before, about once a second during "
                + "the run, and after; so \"growth\" is retained data (buffered output), not garbage. RSS is "
                + "`VmRSS` of the server process, sampled every 50 ms. The slow client asks `java.net.http` "
                + "for the next message only when it is due at its read rate, so the server sees a slow "
                + "TCP reader.\n\n");
        md.append(streamingMemory).append('\n');
        md.append("## 4. Idle WebSocket connections\n\n");
        md.append("Connections opened with `java.net.http` from this JVM to the server JVM over 127.0.0.1 "
                + "(128 handshakes in flight), then left idle; the server's own count is awaited before "
                + "measuring. Heap after two full GCs in the server; RSS from `/proc`. PING is the protocol's "
                + "`{\"op\":0}` answered by PONG, timed by the client. 200 connections are opened and closed "
                + "first as a warm-up.\n\n");
        md.append(connections).append('\n');
        md.append("## 5. Micro-benchmarks (JMH)\n\n");
        md.append("Run in forked JVMs by JMH (`dev.ranna.bench.jmh.*`, `dev.ranna.engine.Utf8ChunkerBench`). "
                + "`Utf8ChunkerBench` sits in package `dev.ranna.engine` inside ranna-bench (a split package, "
                + "acceptable for a bench-only module) because `Utf8Chunker` is package-private; the coalescer is "
                + "not a class of its own (it lives in `Run`), so `EngineOutputBench` drives it through the public "
                + "engine API with an in-memory sandbox: EXEC, output written in writes of the given size, LOG "
                + "events to a counting sink, STOP.\n\n");
        md.append(jmh.length() == 0 ? "Not run.\n" : jmh.toString()).append('\n');
        md.append("## 6. Notes, profiles and fixes\n\n");
        notes.forEach(n -> md.append("- ").append(n).append('\n'));
        if (!notes.isEmpty()) {
            md.append('\n');
        }
        try (InputStream in = Report.class.getResourceAsStream("notes.md")) {
            if (in != null) {
                md.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, md.toString());
    }
}
