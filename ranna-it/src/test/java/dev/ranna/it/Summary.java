package dev.ranna.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The figures one suite measured, written under {@code target/reliability/<suite>.md} when the suite
 * ends (pass or fail) and rendered into {@code docs/reliability.md} by {@link ReliabilityReportTest}.
 * Thread-safe.
 */
final class Summary {
    private final String id;
    private final String title;
    private final String command;
    private final String description;
    private final Map<String, AtomicLong> counters = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final long started = System.nanoTime();

    Summary(String id, String title, String command, String description) {
        this.id = id;
        this.title = title;
        this.command = command;
        this.description = description;
    }

    /** Adds {@code delta} to a counted figure (created at 0 in first-use order). */
    synchronized void add(String figure, long delta) {
        counters.computeIfAbsent(figure, k -> new AtomicLong()).addAndGet(delta);
    }

    void count(String figure) {
        add(figure, 1);
    }

    /** Declares a counted figure so it shows (as 0) even if nothing is counted. */
    synchronized void declare(String... figures) {
        for (String figure : figures) {
            counters.computeIfAbsent(figure, k -> new AtomicLong());
        }
    }

    synchronized long get(String figure) {
        AtomicLong value = counters.get(figure);
        return value == null ? 0 : value.get();
    }

    synchronized void set(String figure, Object value) {
        values.put(figure, String.valueOf(value));
    }

    synchronized void note(String line) {
        notes.add(line);
    }

    static Path dir() {
        return Path.of(System.getProperty("ranna.it.summaryDir", "target/reliability"));
    }

    /** Writes the section: a Markdown fragment between markers the renderer can replace. */
    synchronized void write() {
        var md = new StringBuilder();
        md.append("<!-- BEGIN suite:").append(id).append(" -->\n");
        md.append("### ").append(title).append("\n\n");
        md.append(description).append("\n\n");
        md.append("Run by: `").append(command).append("`. ");
        md.append("Last run: ")
                .append(OffsetDateTime.now(ZoneOffset.UTC)
                        .truncatedTo(ChronoUnit.SECONDS)
                        .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
                .append(", ")
                .append(Math.max(1, (System.nanoTime() - started) / 1_000_000_000L))
                .append(" s, ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" cores.\n\n");
        md.append("| figure | value |\n|---|---|\n");
        counters.forEach((k, v) ->
                md.append("| ").append(k).append(" | ").append(v.get()).append(" |\n"));
        values.forEach(
                (k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        if (!notes.isEmpty()) {
            md.append('\n');
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
        }
        md.append("<!-- END suite:").append(id).append(" -->\n");
        try {
            Files.createDirectories(dir());
            Files.writeString(dir().resolve(id + ".md"), md.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
