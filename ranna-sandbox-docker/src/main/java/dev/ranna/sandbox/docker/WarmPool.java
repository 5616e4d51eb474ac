package dev.ranna.sandbox.docker;

import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Started containers waiting for their code, per spec in use, so a run pays only attach, program and
 * removal. Each container serves one run. A spec's pool is created on its first use (or at start for the
 * warm list) and refilled in the background after every take; a spec whose preparation fails is not retried
 * until its next use, so a broken image does not spin. Drained on close.
 *
 * <p>Thread-safe.
 */
final class WarmPool {

    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    private final Containers containers;
    private final ExecutorService preparer;
    private final ToIntFunction<String> sizeOf;
    private final Map<LanguageSpec, SpecPool> pools = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private final class SpecPool {
        final LanguageSpec spec;
        final int target;
        final ConcurrentLinkedDeque<Containers.Prepared> ready = new ConcurrentLinkedDeque<>();
        int pending; // guarded by this
        boolean failing; // guarded by this

        SpecPool(LanguageSpec spec, int target) {
            this.spec = spec;
            this.target = target;
        }
    }

    WarmPool(Containers containers, ExecutorService preparer, ToIntFunction<String> sizeOf) {
        this.containers = containers;
        this.preparer = preparer;
        this.sizeOf = sizeOf;
    }

    /** A ready container for {@code spec}, or null; either way the pool refills in the background. */
    Containers.@Nullable Prepared take(LanguageSpec spec) {
        if (closed) {
            return null;
        }
        SpecPool pool = pools.computeIfAbsent(spec, s -> new SpecPool(s, sizeOf.applyAsInt(s.key())));
        Containers.Prepared prepared = pool.ready.pollFirst();
        synchronized (pool) {
            pool.failing = false;
        }
        refill(pool);
        return prepared;
    }

    /** Starts filling the pool of {@code spec} without taking from it. */
    void warm(LanguageSpec spec) {
        if (!closed) {
            refill(pools.computeIfAbsent(spec, s -> new SpecPool(s, sizeOf.applyAsInt(s.key()))));
        }
    }

    /** How many containers are ready for {@code spec}. */
    int ready(LanguageSpec spec) {
        SpecPool pool = pools.get(spec);
        return pool == null ? 0 : pool.ready.size();
    }

    /** Removes the ready containers of specs using {@code image} (it was re-pulled); they refill on next use. */
    void drainImage(String image) {
        for (SpecPool pool : pools.values()) {
            if (image.equals(pool.spec.image())) {
                drain(pool);
            }
        }
    }

    /** Stops refilling and removes every ready container. Pending preparations remove their own result. */
    void close() {
        closed = true;
        pools.values().forEach(this::drain);
    }

    private void drain(SpecPool pool) {
        List<Containers.Prepared> drained = new ArrayList<>();
        Containers.Prepared p;
        while ((p = pool.ready.pollFirst()) != null) {
            drained.add(p);
        }
        drained.forEach(prepared -> containers.remove(prepared.id()));
    }

    private void refill(SpecPool pool) {
        while (true) {
            synchronized (pool) {
                if (closed || pool.failing || pool.ready.size() + pool.pending >= pool.target) {
                    return;
                }
                pool.pending++;
            }
            try {
                preparer.execute(() -> prepareOne(pool));
            } catch (RejectedExecutionException e) {
                synchronized (pool) {
                    pool.pending--;
                }
                return;
            }
        }
    }

    private void prepareOne(SpecPool pool) {
        Containers.Prepared prepared = null;
        try {
            if (!closed) {
                prepared = containers.prepare(pool.spec, Optional.empty());
            }
        } catch (SandboxException | RuntimeException e) {
            synchronized (pool) {
                pool.failing = true;
            }
            log.warn("warm pool for spec '{}' could not prepare a container: {}", pool.spec.key(), e.getMessage());
        } finally {
            synchronized (pool) {
                pool.pending--;
            }
        }
        if (prepared != null) {
            pool.ready.addLast(prepared);
            if (closed) {
                drain(pool);
            }
        }
    }
}
