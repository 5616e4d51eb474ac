package dev.ranna.it;

import dev.ranna.engine.EventSink;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.StdStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.assertj.core.api.Assertions;
import org.jspecify.annotations.Nullable;

/** An {@link EventSink} that keeps every event and lets tests wait for one. Thread-safe. */
final class Recorder implements EventSink {
    private final List<Event> events = new ArrayList<>();

    @Override
    public synchronized void send(Event event) {
        events.add(event);
        notifyAll();
    }

    synchronized List<Event> events() {
        return new ArrayList<>(events);
    }

    synchronized List<Event> of(Nonce nonce) {
        var out = new ArrayList<Event>();
        for (Event e : events) {
            if (e.nonce().equals(nonce)) {
                out.add(e);
            }
        }
        return out;
    }

    /** Waits until an event matching {@code condition} has arrived; fails after {@code timeout}. */
    synchronized Event await(Duration timeout, String what, Predicate<Event> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        while (true) {
            for (; checked < events.size(); checked++) {
                if (condition.test(events.get(checked))) {
                    return events.get(checked);
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Assertions.fail("timed out after " + timeout + " waiting for " + what + "; got " + events);
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Assertions.fail("interrupted waiting for " + what);
            }
        }
    }

    /** Waits for the end of the EXEC with {@code nonce} (its STOP, or its only ERROR if refused). */
    Outcome outcome(Nonce nonce, Duration timeout) {
        await(
                timeout,
                "the end of EXEC " + nonce,
                e -> e.nonce().equals(nonce)
                        && (e instanceof Event.Stop || (e instanceof Event.Error && !spawned(nonce))));
        return new Outcome(of(nonce));
    }

    private synchronized boolean spawned(Nonce nonce) {
        for (Event e : events) {
            if (e.nonce().equals(nonce) && e instanceof Event.Spawn) {
                return true;
            }
        }
        return false;
    }

    /** Every event of one EXEC, in arrival order. */
    record Outcome(List<Event> events) {
        Event.@Nullable Spawn spawn() {
            return first(Event.Spawn.class);
        }

        Event.@Nullable Stop stop() {
            return first(Event.Stop.class);
        }

        List<Event.Error> errors() {
            var out = new ArrayList<Event.Error>();
            events.forEach(e -> {
                if (e instanceof Event.Error) {
                    out.add((Event.Error) e);
                }
            });
            return out;
        }

        String stdout() {
            return text(StdStream.STDOUT);
        }

        String stderr() {
            return text(StdStream.STDERR);
        }

        long outputChars() {
            return stdout().length() + stderr().length();
        }

        private String text(StdStream stream) {
            var sb = new StringBuilder();
            events.forEach(e -> {
                if (e instanceof Event.Log && ((Event.Log) e).stream() == stream) {
                    sb.append(((Event.Log) e).text());
                }
            });
            return sb.toString();
        }

        private <T> @Nullable T first(Class<T> type) {
            for (Event e : events) {
                if (type.isInstance(e)) {
                    return type.cast(e);
                }
            }
            return null;
        }

        /** SPAWN first, STOP last, exactly one of each, nothing in between but LOG and ERROR. */
        void assertWellFormed() {
            Assertions.assertThat(events).as("events of one run").isNotEmpty();
            Assertions.assertThat(events.get(0)).as("first event").isInstanceOf(Event.Spawn.class);
            Assertions.assertThat(events.get(events.size() - 1))
                    .as("last event")
                    .isInstanceOf(Event.Stop.class);
            Assertions.assertThat(events.stream().filter(e -> e instanceof Event.Spawn))
                    .hasSize(1);
            Assertions.assertThat(events.stream().filter(e -> e instanceof Event.Stop))
                    .hasSize(1);
        }

        @Override
        public String toString() {
            String all = events.toString();
            return all.length() > 2000 ? all.substring(0, 2000) + "..." : all;
        }
    }
}
