package dev.ranna.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs the JMH benchmarks of this module in forked JVMs and turns the results into table rows. */
final class JmhRunner {

    record Row(String name, String params, double score, double error, String unit, String derived) {}

    private JmhRunner() {}

    static List<Row> run(boolean quick) throws RunnerException {
        BenchMain.log("JMH micro-benchmarks");
        Options options = new OptionsBuilder()
                .include("dev\\.ranna\\.(bench\\.jmh|engine)\\..*Bench\\..*")
                .forks(1)
                .warmupIterations(quick ? 1 : 2)
                .warmupTime(TimeValue.milliseconds(quick ? 500 : 1000))
                .measurementIterations(quick ? 2 : 3)
                .measurementTime(TimeValue.milliseconds(quick ? 500 : 1000))
                .jvmArgs("-Xms512m", "-Xmx512m")
                .shouldFailOnError(true)
                .build();
        var rows = new ArrayList<Row>();
        for (RunResult r : new Runner(options).run()) {
            var params = r.getParams();
            String name = params.getBenchmark();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            String ps = params.getParamsKeys().stream()
                    .map(k -> k + "=" + params.getParam(k))
                    .collect(Collectors.joining(", "));
            double score = r.getPrimaryResult().getScore();
            String unit = r.getPrimaryResult().getScoreUnit();
            rows.add(new Row(
                    name,
                    ps.isEmpty() ? "" : ps,
                    score,
                    r.getPrimaryResult().getScoreError(),
                    unit,
                    derived(name, params.getParamsKeys().contains("chunk") ? params.getParam("chunk") : null, score)));
        }
        return rows;
    }

    /** MiB/s for benchmarks whose operation handles a known number of bytes. */
    private static String derived(String name, String chunk, double opsPerSecond) {
        long bytes;
        if (name.startsWith("Utf8ChunkerBench") && chunk != null) {
            bytes = Long.parseLong(chunk);
        } else if (name.startsWith("EngineOutputBench")) {
            bytes = dev.ranna.bench.jmh.EngineOutputBench.TOTAL;
        } else if (name.contains("16k")) {
            bytes = 16 * 1024;
        } else {
            return "";
        }
        return String.format(Locale.ROOT, "%.0f MiB/s", opsPerSecond * bytes / (1 << 20));
    }
}
