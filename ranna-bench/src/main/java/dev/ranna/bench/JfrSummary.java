package dev.ranna.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * The hot methods of a JFR recording: execution samples ({@code jdk.ExecutionSample}) inside a time window,
 * counted by their top frame (self) and by every method on the stack (total). For the streaming scenario,
 * whose server runs with {@code --jfr}; also runnable alone: {@code java -cp ranna-bench.jar
 * dev.ranna.bench.JfrSummary FILE.jfr [N]}.
 */
final class JfrSummary {
    private JfrSummary() {}

    public static void main(String[] args) throws IOException {
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        System.out.print(summarize(Path.of(args[0]), Instant.MIN, Instant.MAX, top));
    }

    /**
     * Markdown tables of the {@code top} methods by self samples within {@code [from, to]}: Java code
     * ({@code jdk.ExecutionSample}) and threads in native code ({@code jdk.NativeMethodSample}: system calls
     * such as reads, writes and waits), and the samples per thread.
     */
    static String summarize(Path recording, Instant from, Instant to, int top) throws IOException {
        List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
        return "Java code:\n\n" + summarize(events, "jdk.ExecutionSample", from, to, top)
                + "\nIn native code (system calls, waits):\n\n"
                + summarize(events, "jdk.NativeMethodSample", from, to, 10);
    }

    private static String summarize(List<RecordedEvent> events, String type, Instant from, Instant to, int top) {
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> total = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        int samples = 0;
        for (RecordedEvent event : events) {
            if (!event.getEventType().getName().equals(type)) {
                continue;
            }
            Instant at = event.getStartTime();
            if (at.isBefore(from) || at.isAfter(to)) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            var thread = event.getThread("sampledThread");
            String threadName = thread == null ? "?" : String.valueOf(thread.getJavaName());
            // Numbered pool threads count as one: "ranna-output-12" -> "ranna-output-N".
            threads.merge(threadName.replaceAll("\\d+", "N"), 1, Integer::sum);
            List<RecordedFrame> frames = stack.getFrames();
            self.merge(name(frames.get(0)), 1, Integer::sum);
            var seen = new java.util.HashSet<String>();
            for (RecordedFrame frame : frames) {
                String name = name(frame);
                if (seen.add(name)) {
                    total.merge(name, 1, Integer::sum);
                }
            }
        }
        var rows = new ArrayList<>(self.entrySet());
        rows.sort((a, b) -> b.getValue() - a.getValue());
        var out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%d execution samples%n%n", samples));
        out.append("| method (top frame) | self | self % | total % |\n|---|---|---|---|\n");
        for (var row : rows.subList(0, Math.min(top, rows.size()))) {
            out.append(String.format(
                    Locale.ROOT,
                    "| `%s` | %d | %.1f | %.1f |%n",
                    row.getKey(),
                    row.getValue(),
                    100.0 * row.getValue() / Math.max(1, samples),
                    100.0 * total.getOrDefault(row.getKey(), 0) / Math.max(1, samples)));
        }
        var byThread = new ArrayList<>(threads.entrySet());
        byThread.sort((a, b) -> b.getValue() - a.getValue());
        out.append("\nSamples by thread: ");
        for (int i = 0; i < Math.min(8, byThread.size()); i++) {
            out.append(i == 0 ? "" : ", ")
                    .append('`')
                    .append(byThread.get(i).getKey())
                    .append("` ")
                    .append(byThread.get(i).getValue());
        }
        return out.append("\n").toString();
    }

    private static String name(RecordedFrame frame) {
        var method = frame.getMethod();
        String type = method.getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + method.getName();
    }
}
