package dev.ranna.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The one owner of capacity: engine-wide run slots, a bounded queue that serves clients in turn, the
 * per-client cap and the per-session cap. Nothing else counts runs to refuse one (a sandbox may still
 * fail a start for a resource of its own, such as a uid). Thread-safe.
 *
 * <p>Each client key has its own FIFO of waiting runs; a freed slot goes to the oldest run of the client
 * whose turn it is, and that client then moves to the back of the line. So a client with many queued
 * runs gets one slot per round, and another client's first run waits for at most one run of each client
 * ahead of it, never for a whole backlog. The per-client cap counts running and queued runs together,
 * across all of the client's sessions; the per-session cap counts them per session.
 */
final class RunScheduler {
    enum Decision {
        START,
        QUEUED,
        /** The queue is full. */
        FULL,
        /** The client already has its cap of runs running or queued. */
        CLIENT_FULL,
        /** The session already has its cap of runs running or queued. */
        SESSION_FULL
    }

    private final int slots;
    private final int queueCapacity;
    private final int perClient;
    private final int perSession;
    /** Waiting runs per client; iteration order is the order of turns. */
    private final LinkedHashMap<String, ArrayDeque<Run>> waiting = new LinkedHashMap<>();
    /** Running plus queued runs per client. */
    private final Map<String, Integer> active = new HashMap<>();
    /** Running plus queued runs per session. */
    private final Map<DefaultEngineSession, Integer> perSessionActive = new HashMap<>();

    private int running;
    private int queued;

    /**
     * @param slots runs executing at once
     * @param queueCapacity runs waiting for a slot, across clients
     * @param perClient runs one client may have running or queued; 0 means no cap
     * @param perSession runs one session may have running or queued
     */
    RunScheduler(int slots, int queueCapacity, int perClient, int perSession) {
        this.slots = slots;
        this.queueCapacity = queueCapacity;
        this.perClient = perClient;
        this.perSession = perSession;
    }

    /** Admits {@code run}: it takes a slot now ({@code START}), waits in the queue, or is refused. */
    synchronized Decision admit(Run run) {
        String client = run.clientKey();
        if (perSessionActive.getOrDefault(run.session(), 0) >= perSession) {
            return Decision.SESSION_FULL;
        }
        if (perClient > 0 && active.getOrDefault(client, 0) >= perClient) {
            return Decision.CLIENT_FULL;
        }
        if (running < slots) {
            running++;
            count(run);
            return Decision.START;
        }
        if (queued < queueCapacity) {
            waiting.computeIfAbsent(client, key -> new ArrayDeque<>()).addLast(run);
            queued++;
            count(run);
            return Decision.QUEUED;
        }
        return Decision.FULL;
    }

    private void count(Run run) {
        active.merge(run.clientKey(), 1, Integer::sum);
        perSessionActive.merge(run.session(), 1, Integer::sum);
    }

    /**
     * Frees the slot of {@code finished}, or hands it straight to the next queued run in turn, which the
     * caller then starts.
     */
    synchronized @Nullable Run release(Run finished) {
        forget(finished);
        Run next = nextInTurn();
        if (next == null) {
            running--;
        }
        return next;
    }

    private @Nullable Run nextInTurn() {
        Iterator<Map.Entry<String, ArrayDeque<Run>>> turns = waiting.entrySet().iterator();
        if (!turns.hasNext()) {
            return null;
        }
        Map.Entry<String, ArrayDeque<Run>> turn = turns.next();
        ArrayDeque<Run> runs = turn.getValue();
        Run next = runs.pollFirst();
        turns.remove();
        if (!runs.isEmpty()) {
            // Back of the line: every other waiting client gets a slot before this one's next run.
            waiting.put(turn.getKey(), runs);
        }
        queued--;
        return next;
    }

    private void forget(Run run) {
        active.computeIfPresent(run.clientKey(), (key, count) -> count <= 1 ? null : count - 1);
        perSessionActive.computeIfPresent(run.session(), (key, count) -> count <= 1 ? null : count - 1);
    }

    /** Removes a queued run (its session closed); false if it was not queued. */
    synchronized boolean remove(Run run) {
        ArrayDeque<Run> runs = waiting.get(run.clientKey());
        if (runs == null || !runs.remove(run)) {
            return false;
        }
        if (runs.isEmpty()) {
            waiting.remove(run.clientKey());
        }
        queued--;
        forget(run);
        return true;
    }

    /** Empties the queue (engine close). */
    synchronized List<Run> drain() {
        var drained = new ArrayList<Run>(queued);
        for (ArrayDeque<Run> runs : waiting.values()) {
            for (Run run : runs) {
                drained.add(run);
                forget(run);
            }
        }
        waiting.clear();
        queued = 0;
        return drained;
    }

    synchronized int running() {
        return running;
    }

    synchronized int queued() {
        return queued;
    }

    /** Running plus queued runs of {@code client}. */
    synchronized int active(String client) {
        return active.getOrDefault(client, 0);
    }

    /** Running plus queued runs of {@code session}. */
    synchronized int active(DefaultEngineSession session) {
        return perSessionActive.getOrDefault(session, 0);
    }
}
