package dev.ranna.engine;

import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.SystemInfo;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine: runs code in a sandbox for any number of client sessions, enforcing the protocol's
 * lifecycle and the {@link RunLimits}.
 *
 * <p>Build one per server with {@link #builder()}; {@code build()} selects and creates the sandbox and
 * fails at once, with one line per provider saying why, if none can run. Then {@link #openSession} per
 * client connection, or {@link #exec} for one-shot REST calls. {@link #close()} kills every run, closes
 * the sandbox and stops the engine's threads.
 *
 * <p>Thread-safe. No method blocks on a run, except {@link #close()}, which waits a bounded time for
 * runs to end. Embedders hold this interface; the one implementation is internal to the engine.
 */
public interface RannaEngine extends AutoCloseable {

    /** A builder with no spec map (the sandbox's default), default limits and automatic sandbox selection. */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Every sandbox provider {@link java.util.ServiceLoader} finds with {@code classLoader}, for callers
     * that choose a sandbox themselves (and then pass it to {@link Builder#sandbox}). A provider that
     * cannot be loaded or instantiated is logged and skipped. Availability is not probed.
     */
    static List<SandboxProvider> discoverSandboxes(ClassLoader classLoader) {
        return SandboxSelector.discover(Objects.requireNonNull(classLoader, "classLoader"));
    }

    /**
     * Opens a session for one client connection.
     *
     * @param sink where the session's events go
     * @param clientKey the client this session belongs to, e.g. its address: its EXECs are rate limited
     *     and share {@link RunLimits#maxRunsPerClient()} with every other session of the same key
     * @throws IllegalStateException if the engine is closed
     */
    EngineSession openSession(EventSink sink, String clientKey);

    /**
     * Runs one request to completion and collects its output (at most {@link RunLimits#maxOutputBytes()}),
     * for REST. The same validation, limits and rate limit as an EXEC apply. Never completes
     * exceptionally: refusals and errors are an {@link ExecOutcome.Failed}. Cancelling the future (the
     * client went away) kills the run, so nobody's capacity is spent on output nobody reads.
     */
    CompletableFuture<ExecOutcome> exec(ExecutionRequest request, String clientKey);

    /** The languages offered now. */
    SpecRegistry specs();

    /**
     * Atomically replaces the languages offered; runs in flight keep the spec they started with.
     *
     * @throws IllegalArgumentException if the map has compile stages and the sandbox cannot run them (the
     *     current map stays)
     */
    void reloadSpecs(SpecRegistry specs);

    /** The limits in force. */
    RunLimits limits();

    /** The selected sandbox provider's name. */
    String sandboxName();

    /** The {@code sandbox} object of {@code /v1/info}: provider name, version and isolation facts. */
    SystemInfo.Sandbox sandboxInfo();

    /**
     * The protocol features this engine supports, for {@code /v1/info}'s {@code "features"}: the names of
     * the selected sandbox's {@link dev.ranna.engine.spi.Sandbox#capabilities() capabilities} (e.g. {@code
     * "usage"}), in a stable order; empty when the sandbox declares none.
     */
    List<String> features();

    /** Runs queued or running across all sessions. */
    int activeRuns();

    /**
     * Kills every run (clients still connected get their STOP with {@code killed}, queued EXECs an ERROR
     * 503), waits up to the builder's shutdown timeout for them to end, closes the sandbox and stops the
     * engine's threads. Idempotent.
     */
    @Override
    void close();

    /** Builds a {@link RannaEngine}. Not thread-safe. */
    final class Builder {
        private static final Logger log = LoggerFactory.getLogger(RannaEngine.class);

        private @Nullable SpecRegistry specs;
        private @Nullable SandboxProvider provider;
        private @Nullable SandboxSelection selection;
        private @Nullable String sandboxName;
        private SandboxConfig sandboxConfig = SandboxConfig.defaults();
        private RunLimits limits = RunLimits.DEFAULTS;
        private @Nullable ExecutorService executor;
        private @Nullable MeterRegistry meterRegistry;
        private Duration shutdownTimeout = Duration.ofSeconds(10);
        private @Nullable ClassLoader classLoader;
        private @Nullable Supplier<SpecRegistry> specSource;
        private @Nullable CronSchedule specSchedule;
        private @Nullable EngineScheduler scheduler;

        private Builder() {}

        /** The languages to offer; when not set, the selected provider's {@code defaultSpecs}. */
        public Builder specs(SpecRegistry specs) {
            this.specs = Objects.requireNonNull(specs, "specs");
            return this;
        }

        /** Uses this provider, skipping discovery (it is probed once for its details, not gated on it). */
        public Builder sandbox(SandboxProvider provider) {
            this.provider = Objects.requireNonNull(provider, "provider");
            this.selection = null;
            return this;
        }

        /**
         * Uses what {@link SandboxSelector} chose, with the configuration and languages it chose with; no
         * probe is repeated. Replaces {@link #sandbox(SandboxProvider)}, {@link #sandboxName} and {@link
         * #sandboxConfig}; {@link #specs} still wins over the selection's default map.
         */
        public Builder sandbox(SandboxSelection selection) {
            this.selection = Objects.requireNonNull(selection, "selection");
            this.provider = null;
            return this;
        }

        /**
         * Reloads the languages from {@code source} on {@code schedule} (ranna's {@code
         * scheduler.updatespecs}), e.g. {@code () -> SpecRegistry.load(path)}. A source that throws is
         * logged and the current map stays; an unchanged map is not swapped. The initial map is still the
         * one given to {@link #specs} (or the sandbox's default).
         */
        public Builder reloadSpecs(Supplier<SpecRegistry> source, CronSchedule schedule) {
            this.specSource = Objects.requireNonNull(source, "source");
            this.specSchedule = Objects.requireNonNull(schedule, "schedule");
            return this;
        }

        /** Selects the discovered provider with this name; it must be available. */
        public Builder sandboxName(@Nullable String name) {
            this.sandboxName = name == null || name.isBlank() ? null : name.trim();
            return this;
        }

        /** Configuration handed to the provider's {@code create}. */
        public Builder sandboxConfig(SandboxConfig config) {
            this.sandboxConfig = Objects.requireNonNull(config, "config");
            return this;
        }

        /** The limits to enforce. */
        public Builder limits(RunLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * The executor that starts runs ({@link Sandbox#start} may block while a container is created).
         * It must run at least {@link RunLimits#maxConcurrentRuns()} tasks at once. The engine does not
         * shut down an executor given here. Default: a pool of daemon threads named {@code ranna-run-N}.
         */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Where to register metrics ({@code ranna.*}); none by default. micrometer-core is an optional
         * dependency of ranna-engine: the engine loads Micrometer's classes only when this is called, so an
         * embedder without Micrometer never needs it on the class path.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** How long {@link RannaEngine#close()} waits for killed runs to end (10 s). */
        public Builder shutdownTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must be >= 0: " + timeout);
            }
            this.shutdownTimeout = timeout;
            return this;
        }

        /** The engine's clock and timer (tests drive a virtual one); default: the system's. */
        Builder scheduler(EngineScheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** The class loader for provider discovery (default: the thread's context class loader). */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
            return this;
        }

        /**
         * Selects and creates the sandbox and starts the engine.
         *
         * @throws IllegalStateException if no sandbox can run, with one line per provider saying why, or if
         *     the spec map has compile stages and the chosen sandbox lacks {@link
         *     dev.ranna.engine.spi.Capability#COMPILE}
         */
        public RannaEngine build() {
            SandboxSelection chosen = select();
            SandboxProvider selected = chosen.provider();
            Sandbox sandbox;
            try {
                sandbox = selected.create(chosen.config());
            } catch (SandboxException e) {
                throw new IllegalStateException(
                        "sandbox '" + selected.name() + "' could not be created: " + e.getMessage(), e);
            }
            SpecRegistry effectiveSpecs = specs != null ? specs : chosen.specs();
            var details =
                    new LinkedHashMap<String, String>(chosen.availability().details());
            details.putAll(sandbox.info());
            log.info(
                    "ranna engine started: sandbox {} ({}), {} languages, limits {}",
                    selected.name(),
                    sandbox.version(),
                    effectiveSpecs.languages().size(),
                    limits);
            try {
                RealRannaEngine.checkCompileStages(selected.name(), sandbox, effectiveSpecs);
            } catch (IllegalArgumentException e) {
                closeQuietly(sandbox);
                throw new IllegalStateException(e.getMessage(), e);
            }
            var engine = new RealRannaEngine(
                    selected.name(),
                    sandbox,
                    details,
                    effectiveSpecs,
                    limits,
                    chosen.config().memoryBytes(),
                    executor,
                    meterRegistry,
                    shutdownTimeout,
                    scheduler != null ? scheduler : EngineScheduler.system());
            if (specSource != null && specSchedule != null) {
                engine.scheduleSpecReload(specSource, specSchedule);
            }
            return engine;
        }

        private static void closeQuietly(Sandbox sandbox) {
            try {
                sandbox.close();
            } catch (RuntimeException e) {
                log.warn("sandbox failed to close after a refused start", e);
            }
        }

        /** The one call into selection: what was given, else {@link SandboxSelector}'s choice. */
        private SandboxSelection select() {
            if (selection != null) {
                return selection;
            }
            if (provider != null) {
                return SandboxSelector.of(List.of(provider))
                        .config(sandboxConfig)
                        .specs(specs)
                        .given(provider);
            }
            ClassLoader loader = classLoader != null
                    ? classLoader
                    : Objects.requireNonNullElse(
                            Thread.currentThread().getContextClassLoader(), RannaEngine.class.getClassLoader());
            return SandboxSelector.of(SandboxSelector.discover(loader))
                    .name(sandboxName)
                    .config(sandboxConfig)
                    .specs(specs)
                    .select();
        }
    }
}
