package dev.ranna.engine;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Isolation;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a sandbox is chosen, for the engine builder and for the standalone server alike.
 *
 * <p>The rules, in order: a configured {@linkplain #name name} wins and must be available (an unknown name
 * or an unavailable provider is an error that says why). Otherwise every provider, highest {@linkplain
 * SandboxProvider#priority() priority} first and ties by name, gets the cheap {@link
 * SandboxProvider#notApplicable} check and then one {@linkplain SandboxProvider#availability probe} with
 * the operator's configuration and the languages it would offer (the operator's {@linkplain #specs spec
 * map}, else the provider's default map); the first available one wins, and the reasons of those passed
 * over are logged and kept in the {@linkplain SandboxSelection#reason() reason}. If none is available and
 * the caller {@linkplain #allowUnisolatedFallback allows it}, the first provider that offers a {@linkplain
 * SandboxProvider#withoutIsolation configuration without isolation} is chosen with it. Otherwise selection
 * fails with one line per provider.
 *
 * <p>Each provider is probed at most once. Not thread-safe; use one selector per selection.
 */
public final class SandboxSelector {
    private static final Logger log = LoggerFactory.getLogger(SandboxSelector.class);

    private final List<SandboxProvider> providers;
    private @Nullable String name;
    private SandboxConfig config = SandboxConfig.defaults();
    private @Nullable SpecRegistry specs;
    private boolean unisolatedFallback;

    private SandboxSelector(List<SandboxProvider> providers) {
        this.providers = List.copyOf(providers);
    }

    /** A selector over these providers (e.g. {@link #discover}'s). */
    public static SandboxSelector of(List<SandboxProvider> providers) {
        return new SandboxSelector(Objects.requireNonNull(providers, "providers"));
    }

    /**
     * Every provider that {@link ServiceLoader} finds with {@code loader} and can instantiate; a broken one
     * is logged and skipped. Nothing is probed.
     */
    public static List<SandboxProvider> discover(ClassLoader loader) {
        var found = new ArrayList<SandboxProvider>();
        Iterator<SandboxProvider> it = ServiceLoader.load(
                        SandboxProvider.class, Objects.requireNonNull(loader, "loader"))
                .iterator();
        // A broken entry throws from hasNext() or next(); the iterator moves past it, so keep going,
        // but guard against an iterator that keeps failing on the same entry.
        for (int failures = 0; failures < 100; ) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
                failures++;
                log.warn("skipping a sandbox provider that could not be loaded: {}", e.toString());
            }
        }
        return found;
    }

    /** The provider to use (case-insensitive); null or blank selects automatically. */
    public SandboxSelector name(@Nullable String name) {
        this.name = name == null || name.isBlank() ? null : name.trim();
        return this;
    }

    /** The operator's configuration: probed with, and handed to {@code create}. */
    public SandboxSelector config(SandboxConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return this;
    }

    /** The operator's languages; null (the default) means each provider's default map. */
    public SandboxSelector specs(@Nullable SpecRegistry specs) {
        this.specs = specs;
        return this;
    }

    /**
     * Whether, when nothing isolating is available, a provider may be chosen in its {@linkplain
     * SandboxProvider#withoutIsolation unisolated} configuration (default false). Only for a caller that
     * then protects the host, as the standalone server's local development mode does.
     */
    public SandboxSelector allowUnisolatedFallback(boolean allow) {
        this.unisolatedFallback = allow;
        return this;
    }

    /**
     * Chooses.
     *
     * @throws IllegalStateException if nothing can run, or the named provider is unavailable, with one line
     *     per provider saying why
     * @throws IllegalArgumentException if the named provider is not on the class path, listing those that are;
     *     or if the configuration has a key under the chosen provider's prefix that it does not declare
     */
    public SandboxSelection select() {
        var sorted = new ArrayList<>(providers);
        sorted.sort(
                Comparator.comparingInt(SandboxProvider::priority).reversed().thenComparing(SandboxProvider::name));
        if (name != null) {
            SandboxProvider named = sorted.stream()
                    .filter(p -> p.name().equalsIgnoreCase(name))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("sandbox.type: no sandbox provider named '" + name
                            + "'; found: " + (sorted.isEmpty() ? "none" : names(sorted))));
            Candidate candidate = probe(named, config);
            if (!candidate.availability.available()) {
                throw new IllegalStateException(
                        "sandbox '" + named.name() + "' is unavailable: " + candidate.availability.reason());
            }
            return chosen(candidate, "configured by sandbox.type; " + candidate.availability.reason());
        }
        if (sorted.isEmpty()) {
            throw new IllegalStateException(
                    "No sandbox provider on the class path; add ranna-sandbox-process or ranna-sandbox-docker");
        }
        var passedOver = new ArrayList<String>();
        for (SandboxProvider provider : sorted) {
            Optional<String> notApplicable = notApplicable(provider, config);
            if (notApplicable.isPresent()) {
                log.info("sandbox '{}' is not applicable here: {}", provider.name(), notApplicable.get());
                passedOver.add(provider.name() + ": not applicable: " + notApplicable.get());
                continue;
            }
            Candidate candidate = probe(provider, config);
            if (candidate.availability.available()) {
                return chosen(
                        candidate,
                        candidate.availability.reason()
                                + (passedOver.isEmpty() ? "" : "; passed over: " + String.join("; ", passedOver)));
            }
            log.info("sandbox '{}' is unavailable: {}", provider.name(), candidate.availability.reason());
            passedOver.add(provider.name() + ": unavailable: " + candidate.availability.reason());
        }
        if (unisolatedFallback) {
            for (SandboxProvider provider : sorted) {
                Optional<SandboxConfig> unisolated = withoutIsolation(provider, config);
                if (unisolated.isEmpty()) {
                    continue;
                }
                Candidate candidate = probe(provider, unisolated.get());
                if (candidate.availability.available()) {
                    return chosen(
                            candidate,
                            "no isolating sandbox is available (" + String.join("; ", passedOver) + "), so the "
                                    + provider.name() + " sandbox runs WITHOUT isolation in local development mode");
                }
                passedOver.add(provider.name() + " without isolation: unavailable: " + candidate.availability.reason());
            }
        }
        throw new IllegalStateException("No usable sandbox provider. Tried:\n  " + String.join("\n  ", passedOver));
    }

    /**
     * The selection of a provider given by the caller: probed once for its details but used whatever the
     * probe says (the caller chose it), with a warning when the probe says it cannot run.
     */
    public SandboxSelection given(SandboxProvider provider) {
        Candidate candidate = probe(Objects.requireNonNull(provider, "provider"), config);
        if (!candidate.availability.available()) {
            log.warn(
                    "sandbox '{}' was given to the engine but reports itself unavailable: {}",
                    provider.name(),
                    candidate.availability.reason());
        }
        return chosen(candidate, "given to the engine; " + candidate.availability.reason());
    }

    private SandboxSelection chosen(Candidate candidate, String reason) {
        checkOwnKeys(candidate.provider, candidate.config);
        Isolation isolation = isolation(candidate.provider, candidate.config);
        log.info("selected sandbox '{}': {}; isolation: {}", candidate.provider.name(), reason, isolation);
        return new SandboxSelection(
                candidate.provider, candidate.config, candidate.availability, isolation, candidate.specs, reason);
    }

    /**
     * Refuses a key under the provider's own prefix that it does not declare (a typo such as {@code
     * sandbox.docker.tyop} would otherwise be ignored). A provider that declares no keys is not checked.
     */
    private static void checkOwnKeys(SandboxProvider provider, SandboxConfig config) {
        List<ConfigKey<?>> keys = provider.configKeys();
        if (keys.isEmpty()) {
            return;
        }
        String prefix = provider.configPrefix();
        ConfigRegistry registry = ConfigRegistry.builder()
                .group(provider.name(), keys)
                .owner(prefix, "the " + provider.name() + " sandbox")
                .build();
        for (String name : config.properties().keySet()) {
            if (name.startsWith(prefix) && registry.find(name).isEmpty()) {
                throw new IllegalArgumentException(registry.unknownKeyMessage(name));
            }
        }
    }

    private record Candidate(
            SandboxProvider provider, SandboxConfig config, Availability availability, SpecRegistry specs) {}

    private Candidate probe(SandboxProvider provider, SandboxConfig probeConfig) {
        SpecRegistry languages = specs;
        if (languages == null) {
            try {
                languages = SpecRegistry.of(provider.defaultSpecs(probeConfig));
            } catch (RuntimeException | LinkageError e) {
                return new Candidate(
                        provider,
                        probeConfig,
                        Availability.unavailable("its default spec map is invalid: " + e.getMessage()),
                        SpecRegistry.EMPTY);
            }
        }
        Availability availability;
        try {
            availability = Objects.requireNonNull(
                    provider.availability(probeConfig, languages.specs()), "availability() returned null");
        } catch (RuntimeException | LinkageError e) {
            log.warn("sandbox '{}' failed its availability probe", provider.name(), e);
            availability = Availability.unavailable("availability probe failed: " + e);
        }
        return new Candidate(provider, probeConfig, availability, languages);
    }

    private static Optional<String> notApplicable(SandboxProvider provider, SandboxConfig config) {
        try {
            return provider.notApplicable(config);
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty(); // let the probe say what is wrong
        }
    }

    private static Optional<SandboxConfig> withoutIsolation(SandboxProvider provider, SandboxConfig config) {
        try {
            return provider.withoutIsolation(config);
        } catch (RuntimeException | LinkageError e) {
            log.warn("sandbox '{}' failed to offer a configuration without isolation", provider.name(), e);
            return Optional.empty();
        }
    }

    private static Isolation isolation(SandboxProvider provider, SandboxConfig config) {
        try {
            return Objects.requireNonNull(provider.isolation(config), "isolation() returned null");
        } catch (RuntimeException | LinkageError e) {
            log.warn("sandbox '{}' failed to describe its isolation", provider.name(), e);
            return Isolation.UNDECLARED;
        }
    }

    private static List<String> names(List<SandboxProvider> providers) {
        var names = new ArrayList<String>();
        providers.forEach(p -> names.add(p.name()));
        return names;
    }
}
