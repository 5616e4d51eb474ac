package dev.ranna.engine.spi;

import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.protocol.SpecMap;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A kind of sandbox, found with {@link java.util.ServiceLoader}. Implementations need a public no-arg
 * constructor and must be cheap to construct: every provider on the class path is instantiated at engine
 * start, including the ones that are not selected.
 *
 * <p>A provider describes itself: its {@linkplain #name() name} and {@linkplain #priority() priority}, the
 * {@linkplain #configKeys() configuration keys} it reads (every key under its {@linkplain #configPrefix()
 * prefix} must be among them, so a typo is an error at start), its {@linkplain #isolation isolation} under
 * a configuration, and the {@linkplain #defaultSpecs languages} it offers when the operator configures none.
 *
 * <p>Selection (the engine's {@code SandboxSelector}, the one place that chooses): a provider given to the
 * engine builder is used as is; otherwise a configured name picks one; otherwise the engine asks each
 * provider, highest {@link #priority()} first (ties by name), first the cheap {@link #notApplicable} and
 * then the {@linkplain #availability probe}, and takes the first that can run the operator's languages.
 * Each provider is probed at most once per start, with the operator's configuration.
 *
 * <p>Thread-safe; all methods may be called from any thread.
 */
public interface SandboxProvider {

    /** A stable, lower-case name used in configuration ({@code "docker"}, {@code "process"}). */
    String name();

    /** Higher wins automatic selection. Defaults to 0. */
    default int priority() {
        return 0;
    }

    /**
     * The prefix of this provider's own keys, {@code sandbox.<name>.} by default. Every key under it must
     * be one of {@link #configKeys()}: an unknown one stops the server at start.
     */
    default String configPrefix() {
        return "sandbox." + name() + ".";
    }

    /**
     * The configuration keys this provider reads besides the shared ones of {@link SandboxConfig.Keys}:
     * all of those under {@link #configPrefix()}, and any ranna key only this provider uses (e.g. {@code
     * sandbox.runtime} for containers). Shown in {@code --help}; their values are checked at start.
     * Defaults to none.
     */
    default List<ConfigKey<?>> configKeys() {
        return List.of();
    }

    /**
     * How strongly runs would be isolated under {@code config}. Cheap (no I/O); never throws. Defaults to
     * {@link Isolation#UNDECLARED}.
     */
    default Isolation isolation(SandboxConfig config) {
        return Isolation.UNDECLARED;
    }

    /**
     * A cheap check (a file lookup at most, no process, no network) of whether probing this provider is
     * worth it here, e.g. no Docker socket and no Docker host configured. Empty when it is worth probing;
     * otherwise why not, in one line. Defaults to empty.
     */
    default Optional<String> notApplicable(SandboxConfig config) {
        return Optional.empty();
    }

    /**
     * Whether this provider can run {@code languages} on this host under {@code config} (e.g. {@code
     * sandbox.docker.host} is the engine probed), and if not, why. Bounded in time (a few seconds at most)
     * and never throws: a failed probe is an unavailability with the failure as its reason.
     *
     * @param config the operator's configuration, as {@link #create} will get it
     * @param languages the distinct specs of the spec map the engine will offer: the operator's, or
     *     {@link #defaultSpecs} when none is configured
     */
    Availability availability(SandboxConfig config, Collection<LanguageSpec> languages);

    /**
     * The spec map to offer when the operator configured none, e.g. the languages installed on this host.
     * May look at the host (files), but not block long. Defaults to an empty map.
     */
    default SpecMap defaultSpecs(SandboxConfig config) {
        return SpecMap.EMPTY;
    }

    /**
     * A configuration under which this provider runs programs <em>without isolation</em>, for a local
     * development mode when nothing isolating can run here; empty (the default) when it has none. The
     * engine uses it only when its caller allows such a fallback (the standalone server, which then listens
     * on loopback only).
     */
    default Optional<SandboxConfig> withoutIsolation(SandboxConfig config) {
        return Optional.empty();
    }

    /**
     * Creates a sandbox. Called once per engine; the engine closes the sandbox when it closes.
     *
     * @throws SandboxException if the sandbox cannot be created (e.g. the host lacks what it needs)
     * @throws IllegalArgumentException naming the key and the value if a configuration value is invalid
     */
    Sandbox create(SandboxConfig config) throws SandboxException;
}
