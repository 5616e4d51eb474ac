package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.EventCode;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Records events and lets tests take them in order, each take waiting at most a few seconds. */
final class RecordingEventSink implements EventSink {
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    @Override
    public void send(Event event) {
        events.add(event);
    }

    Event next() {
        try {
            Event event = events.poll(10, TimeUnit.SECONDS);
            if (event == null) {
                throw new AssertionError("no event within 10 s");
            }
            return event;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    <T extends Event> T next(Class<T> type) {
        Event event = next();
        assertThat(event).isInstanceOf(type);
        return type.cast(event);
    }

    RunId assertSpawn(Nonce nonce) {
        var spawn = next(Event.Spawn.class);
        assertThat(spawn.nonce()).isEqualTo(nonce);
        return spawn.runId();
    }

    Event.Error assertError(Nonce nonce, int code) {
        var error = next(Event.Error.class);
        assertThat(error.nonce()).isEqualTo(nonce);
        assertThat(error.code()).as(error.message()).isEqualTo(code);
        return error;
    }

    /** Takes LOG events of {@code runId} until the STOP, returning the LOGs; asserts the STOP's nonce. */
    RunOutput untilStop(Nonce nonce, RunId runId) {
        var logs = new ArrayList<Event.Log>();
        var errors = new ArrayList<Event.Error>();
        while (true) {
            Event event = next();
            assertThat(event.nonce()).isEqualTo(nonce);
            switch (event.eventCode()) {
                case LOG:
                    assertThat(((Event.Log) event).runId()).isEqualTo(runId);
                    assertThat(errors).as("LOG after ERROR").isEmpty();
                    logs.add((Event.Log) event);
                    break;
                case ERROR:
                    errors.add((Event.Error) event);
                    break;
                case STOP:
                    var stop = (Event.Stop) event;
                    assertThat(stop.runId()).isEqualTo(runId);
                    return new RunOutput(logs, errors, stop);
                default:
                    throw new AssertionError("unexpected " + event);
            }
        }
    }

    void assertExhausted() {
        assertThat(events).isEmpty();
    }

    List<Event> drain() {
        var drained = new ArrayList<Event>();
        events.drainTo(drained);
        return drained;
    }

    /** Takes events up to and including the next PONG; returns the ones before it. */
    List<Event> drainUntilPong() {
        var before = new ArrayList<Event>();
        Event event;
        while (!((event = next()) instanceof Event.Pong)) {
            before.add(event);
        }
        return before;
    }

    boolean hasEvent() {
        return !events.isEmpty();
    }

    record RunOutput(List<Event.Log> logs, List<Event.Error> errors, Event.Stop stop) {
        String text(StdStream stream) {
            var text = new StringBuilder();
            logs.stream().filter(log -> log.stream() == stream).forEach(log -> text.append(log.text()));
            return text.toString();
        }

        Event.Error singleError() {
            assertThat(errors).hasSize(1);
            return errors.get(0);
        }

        List<EventCode> codes() {
            var codes = new ArrayList<EventCode>();
            logs.forEach(log -> codes.add(EventCode.LOG));
            return codes;
        }
    }
}
