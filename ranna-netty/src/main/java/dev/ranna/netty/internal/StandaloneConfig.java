package dev.ranna.netty.internal;

import dev.ranna.engine.CronSchedule;
import dev.ranna.engine.EngineKeys;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SandboxSelector;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigRegistry;
import dev.ranna.engine.spi.config.ConfigValues;
import dev.ranna.engine.spi.config.InvalidValueException;
import dev.ranna.netty.ServerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * The standalone server's configuration: the keys of one {@link ConfigRegistry} (the server's {@link
 * ServerKeys}, the engine's {@link EngineKeys}, the shared {@link SandboxConfig.Keys} and every discovered
 * sandbox provider's own), from command-line flags, environment variables ({@code RANNA_SANDBOX_MEMORY} or
 * {@code RANNA_SANDBOX.MEMORY}), a YAML or JSON file ({@code --config} or {@code RANNA_CONFIG}) and the
 * defaults, in that order of precedence.
 *
 * <p>Every configured value is parsed when loaded, in the one grammar of {@link dev.ranna.engine.spi.config};
 * a bad one is a {@link ConfigException} naming the key, the value and where it came from. An unknown key
 * is a warning, except under a provider's prefix ({@code sandbox.docker.tyop}), where it is an error, as is
 * any unknown key given with {@code --set}.
 *
 * <p>Immutable. Loading logs nothing (logging is configured from the result); {@link #warnings()} holds
 * what should be logged once it is.
 */
public final class StandaloneConfig implements ConfigValues {
    /** The environment variable that names the config file. */
    public static final String CONFIG_ENV = "RANNA_CONFIG";

    private static final String PREFIX = "RANNA_";

    /** A value and where it came from. */
    record Setting(String value, String source) {}

    private final ConfigRegistry registry;
    private final List<SandboxProvider> providers;
    private final Set<ConfigKey<?>> sandboxKeys;
    private final Map<String, Setting> settings;
    private final List<String> warnings;
    private final boolean help;
    private final boolean version;
    private final @Nullable Integer portFlag;
    private final @Nullable String hostFlag;

    // Typed and validated.
    private final String host;
    private final int port;
    private final boolean bindAddressExplicit;
    private final RunLimits limits;
    private final ServerOptions serverOptions;
    private final Map<String, String> sandboxProperties;
    private final Optional<String> sandboxType;
    private final Optional<Path> specFile;
    private final Optional<CronSchedule> updateSpecs;
    private final String logLevel;
    private final boolean dangerouslyExposeUnisolated;
    private final Duration shutdownTimeout;

    private StandaloneConfig(
            ConfigRegistry registry,
            List<SandboxProvider> providers,
            Set<ConfigKey<?>> sandboxKeys,
            Map<String, Setting> settings,
            List<String> warnings,
            boolean help,
            boolean version,
            @Nullable Integer portFlag,
            @Nullable String hostFlag) {
        this.registry = registry;
        this.providers = List.copyOf(providers);
        this.sandboxKeys = sandboxKeys;
        this.settings = settings;
        this.warnings = warnings;
        this.help = help;
        this.version = version;
        this.portFlag = portFlag;
        this.hostFlag = hostFlag;

        // Every configured value parses, or the configuration is refused naming it and its source.
        settings.forEach((name, setting) -> {
            if (!setting.value().isBlank()) {
                registry.find(name).ifPresent(key -> parse(key, name, setting));
            }
        });

        ServerKeys.BindAddress bind = get(ServerKeys.BIND_ADDRESS);
        this.host = hostFlag != null ? hostFlag : bind.host();
        this.port = portFlag != null ? portFlag : bind.port();
        this.bindAddressExplicit = hostFlag != null || settings.containsKey(ServerKeys.BIND_ADDRESS.name());

        this.limits = buildLimits();
        this.serverOptions = buildServerOptions();
        this.sandboxProperties = buildSandboxProperties();
        this.sandboxType = find(EngineKeys.SANDBOX_TYPE).map(s -> s.toLowerCase(Locale.ROOT));
        this.specFile = find(EngineKeys.SPEC_FILE).map(this::specPath);
        this.logLevel = get(ServerKeys.DEBUG) ? "debug" : get(ServerKeys.LOG_LEVEL);
        this.dangerouslyExposeUnisolated = get(ServerKeys.DANGEROUSLY_EXPOSE_UNISOLATED);
        this.shutdownTimeout = get(EngineKeys.SHUTDOWN_TIMEOUT);
        this.updateSpecs = find(EngineKeys.UPDATE_SPECS).flatMap(schedule -> schedule);
        if (updateSpecs.isPresent() && specFile.isEmpty()) {
            warnings.add(EngineKeys.UPDATE_SPECS.name() + " is set but " + EngineKeys.SPEC_FILE.name()
                    + " is not: there is no spec file to reload");
        }
        if (limits.maxCodeBytes() > serverOptions.maxMessageBytes()) {
            warnings.add(EngineKeys.MAX_CODE.name() + " exceeds " + ServerKeys.WS_MAX_MESSAGE.name()
                    + ": large code will close WebSocket connections (1009) instead of getting ERROR 413");
        }
        if (limits.maxCodeBytes() > serverOptions.maxRequestBytes()) {
            warnings.add(EngineKeys.MAX_CODE.name() + " exceeds " + ServerKeys.MAX_BODY.name()
                    + ": large code sent to /v1/exec is refused by the body limit first");
        }
    }

    /**
     * The registry of a standalone server with these providers: the server's keys, the engine's, the
     * shared sandbox keys, then each provider's own, whose prefix it owns.
     */
    public static ConfigRegistry registry(List<SandboxProvider> providers) {
        ConfigRegistry.Builder builder = ConfigRegistry.builder()
                .group("Server", ServerKeys.ALL)
                .group("Engine", EngineKeys.ALL)
                .group("Every sandbox", SandboxConfig.Keys.ALL);
        for (SandboxProvider provider : providers) {
            builder.group("Sandbox '" + provider.name() + "'", provider.configKeys())
                    .owner(provider.configPrefix(), "the " + provider.name() + " sandbox");
        }
        return builder.build();
    }

    /**
     * Reads the configuration, with the sandbox providers {@link java.util.ServiceLoader} finds with this
     * class's loader.
     *
     * @throws ConfigException for an unknown flag or key, or an invalid value
     */
    public static StandaloneConfig load(List<String> args, Map<String, String> environment) {
        return load(args, environment, SandboxSelector.discover(StandaloneConfig.class.getClassLoader()));
    }

    /**
     * Reads the configuration.
     *
     * @param args the command line
     * @param environment the process environment
     * @param providers the sandbox providers the server may use: their keys are known, their prefixes owned
     * @throws ConfigException for an unknown flag or key, or an invalid value
     */
    public static StandaloneConfig load(
            List<String> args, Map<String, String> environment, List<SandboxProvider> providers) {
        ConfigRegistry registry = registry(providers);
        var sandboxKeys = new HashSet<ConfigKey<?>>(SandboxConfig.Keys.ALL);
        providers.forEach(provider -> sandboxKeys.addAll(provider.configKeys()));
        var warnings = new ArrayList<String>();
        var flags = new LinkedHashMap<String, Setting>();
        boolean help = false;
        boolean version = false;
        Integer portFlag = null;
        String hostFlag = null;
        String configFlag = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            switch (name) {
                case "-h":
                case "--help":
                    help = true;
                    continue;
                case "--version":
                    version = true;
                    continue;
                case "--port":
                case "--host":
                case "--sandbox":
                case "--spec-file":
                case "--config":
                case "--set":
                    break;
                default:
                    throw new ConfigException("unknown option '" + arg + "'");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new ConfigException("option " + name + " needs a value");
                }
                value = args.get(++i);
            }
            switch (name) {
                case "--port":
                    portFlag = parsePort(value);
                    break;
                case "--host":
                    if (value.isBlank()) {
                        throw new ConfigException("--host: expected an address, got '" + value + "'");
                    }
                    hostFlag = value.trim();
                    break;
                case "--sandbox":
                    flags.put(EngineKeys.SANDBOX_TYPE.name(), new Setting(value.trim(), "flag --sandbox"));
                    break;
                case "--spec-file":
                    flags.put(EngineKeys.SPEC_FILE.name(), new Setting(value.trim(), "flag --spec-file"));
                    break;
                case "--config":
                    configFlag = value.trim();
                    break;
                case "--set":
                    int split = value.indexOf('=');
                    if (split <= 0) {
                        throw new ConfigException("--set: expected key=value, got '" + value + "'");
                    }
                    String key = value.substring(0, split).trim().toLowerCase(Locale.ROOT);
                    if (registry.find(key).isEmpty()) {
                        throw new ConfigException("--set: " + registry.unknownKeyMessage(key));
                    }
                    flags.put(key, new Setting(value.substring(split + 1), "flag --set"));
                    break;
                default:
                    throw new AssertionError(name);
            }
        }

        var settings = new LinkedHashMap<String, Setting>();
        String configPath = configFlag != null ? configFlag : environment.get(CONFIG_ENV);
        if (configPath != null && !configPath.isBlank()) {
            String source = "file " + configPath;
            for (var entry : readFile(Path.of(configPath.trim())).entrySet()) {
                if (known(registry, entry.getKey(), source, warnings)) {
                    settings.put(entry.getKey(), new Setting(entry.getValue(), source));
                }
            }
        }
        // Underscore form first, so the dotted form (more precise) wins when both are set.
        var fromEnv = new TreeMap<String, String>(environment);
        for (boolean dotted : new boolean[] {false, true}) {
            for (var entry : fromEnv.entrySet()) {
                String variable = entry.getKey();
                if (!variable.startsWith(PREFIX) || variable.equals(CONFIG_ENV)) {
                    continue;
                }
                String rest = variable.substring(PREFIX.length());
                if (rest.contains(".") != dotted || rest.isEmpty()) {
                    continue;
                }
                String key = rest.toLowerCase(Locale.ROOT).replace('_', '.');
                String source = "env " + variable;
                if (known(registry, key, source, warnings)) {
                    settings.put(key, new Setting(entry.getValue(), source));
                }
            }
        }
        settings.putAll(flags);
        return new StandaloneConfig(
                registry, providers, Set.copyOf(sandboxKeys), settings, warnings, help, version, portFlag, hostFlag);
    }

    /**
     * Whether {@code key} is known; an unknown one is a warning, or, under a provider's prefix, an error.
     */
    private static boolean known(ConfigRegistry registry, String key, String source, List<String> warnings) {
        if (registry.find(key).isPresent()) {
            return true;
        }
        if (registry.owner(key).isPresent()) {
            throw new ConfigException(registry.unknownKeyMessage(key) + " (" + source + ")");
        }
        warnings.add(registry.unknownKeyMessage(key) + " (" + source + "); ignored");
        return false;
    }

    /** YAML 1.1 resolves yes/no/on/off to booleans; keep them as written so choices like {@code off} survive. */
    private static final class PlainResolver extends Resolver {
        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(Tag.BOOL, Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF");
            addImplicitResolver(Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL| )$"), "~nN\0");
            addImplicitResolver(Tag.NULL, Pattern.compile("^$"), null);
        }
    }

    private static Map<String, String> readFile(Path path) {
        Object tree;
        try {
            String text = Files.readString(path);
            var options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            var yaml = new Yaml(
                    new SafeConstructor(options),
                    new Representer(new org.yaml.snakeyaml.DumperOptions()),
                    new org.yaml.snakeyaml.DumperOptions(),
                    options,
                    new PlainResolver());
            tree = yaml.load(text);
        } catch (YAMLException e) {
            throw new ConfigException("config file " + path + " is not valid YAML or JSON: "
                    + String.valueOf(e.getMessage()).replace('\n', ' '));
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + path + ": " + e);
        }
        var out = new LinkedHashMap<String, String>();
        if (tree == null) {
            return out;
        }
        if (!(tree instanceof Map)) {
            throw new ConfigException("config file " + path + ": expected a map of keys at the top level");
        }
        flatten("", (Map<?, ?>) tree, out, path);
        return out;
    }

    private static void flatten(String prefix, Map<?, ?> node, Map<String, String> out, Path path) {
        for (var field : node.entrySet()) {
            String key = (prefix.isEmpty() ? "" : prefix + ".")
                    + String.valueOf(field.getKey()).toLowerCase(Locale.ROOT);
            Object value = field.getValue();
            if (value instanceof Map) {
                flatten(key, (Map<?, ?>) value, out, path);
            } else if (value instanceof List) {
                var parts = new ArrayList<String>();
                for (Object item : (List<?>) value) {
                    if (item instanceof Map || item instanceof List) {
                        throw new ConfigException("config file " + path + ": " + key + ": expected a list of values");
                    }
                    parts.add(String.valueOf(item));
                }
                out.put(key, String.join(",", parts));
            } else if (value != null) {
                out.put(key, String.valueOf(value));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Typed views

    @Override
    public <T> Optional<T> find(ConfigKey<T> key) {
        Setting setting = settings.get(key.name());
        if (setting == null || setting.value().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(parse(key, key.name(), setting));
    }

    private <T> T parse(ConfigKey<T> key, String name, Setting setting) {
        try {
            return key.isTemplate()
                    ? key.resolve(placeholder(key, name)).parse(setting.value())
                    : key.parse(setting.value());
        } catch (InvalidValueException e) {
            throw new ConfigException(
                    name + " (" + setting.source() + "): " + e.problem() + ", got '" + e.value() + "'");
        }
    }

    private static String placeholder(ConfigKey<?> template, String name) {
        String pattern = template.name();
        int open = pattern.indexOf('<');
        int tail = pattern.length() - pattern.indexOf('>') - 1;
        return name.substring(open, name.length() - tail);
    }

    private RunLimits buildLimits() {
        try {
            return EngineKeys.limits(this);
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(String.valueOf(e.getMessage()));
        }
    }

    private ServerOptions buildServerOptions() {
        List<String> cors = get(ServerKeys.CORS_ORIGINS);
        try {
            return ServerOptions.builder()
                    .maxMessageBytes(get(ServerKeys.WS_MAX_MESSAGE))
                    .maxRequestBytes(get(ServerKeys.MAX_BODY))
                    .handshakeTimeout(get(ServerKeys.HANDSHAKE_SECONDS))
                    .idleTimeout(get(ServerKeys.IDLE_SECONDS))
                    .pingInterval(get(ServerKeys.WS_PING_SECONDS))
                    .pongTimeout(get(ServerKeys.WS_PONG_SECONDS))
                    .maxConnectionsPerClient(get(ServerKeys.WS_MAX_CONNECTIONS))
                    .maxConnectionsPerAddress(get(ServerKeys.MAX_CONNECTIONS_PER_CLIENT))
                    .maxConnections(get(ServerKeys.MAX_CONNECTIONS))
                    .ipv6PrefixLength(get(ServerKeys.IPV6_PREFIX))
                    .writeTimeout(get(ServerKeys.WRITE_TIMEOUT_SECONDS))
                    .trustedProxies(find(ServerKeys.TRUSTED_PROXIES).orElse(List.of()))
                    .tokens(new LinkedHashSet<>(find(ServerKeys.TOKENS).orElse(List.of())))
                    .corsAllowedOrigins(cors.isEmpty() ? List.of("*") : cors)
                    .webSocketAllowedOrigins(find(ServerKeys.WS_ORIGINS).orElse(List.of()))
                    .playground(get(ServerKeys.PLAYGROUND))
                    .build();
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(String.valueOf(e.getMessage()));
        }
    }

    /** What was configured for the sandbox: the shared sandbox keys and the providers' keys, as set. */
    private Map<String, String> buildSandboxProperties() {
        var out = new TreeMap<String, String>();
        settings.forEach((name, setting) -> registry.find(name)
                .filter(sandboxKeys::contains)
                .filter(key -> !setting.value().isBlank())
                .ifPresent(key -> out.put(name, setting.value().trim())));
        return out;
    }

    private Path specPath(String value) {
        if (value.startsWith("http://") || value.startsWith("https://")) {
            throw invalid(EngineKeys.SPEC_FILE, "only local files are supported, got a URL");
        }
        Path path = Path.of(value);
        if (!Files.isRegularFile(path)) {
            throw invalid(EngineKeys.SPEC_FILE, "no such file");
        }
        return path;
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new ConfigException("--port: expected a port 0..65535, got '" + value + "'");
        }
    }

    private ConfigException invalid(ConfigKey<?> key, String problem) {
        Setting setting = settings.get(key.name());
        return new ConfigException(key.name() + " (" + describeSource(key.name()) + "): " + problem + ", got '"
                + (setting == null ? key.defaultHelp() : setting.value()) + "'");
    }

    private String describeSource(String name) {
        Setting setting = settings.get(name);
        return setting == null ? "default" : setting.source();
    }

    // ---------------------------------------------------------------------------------------------
    // Accessors

    public boolean help() {
        return help;
    }

    public boolean version() {
        return version;
    }

    /** Every key this configuration knows: the source of {@code --help}. */
    public ConfigRegistry registry() {
        return registry;
    }

    /** The sandbox providers found at load, for selection. */
    public List<SandboxProvider> providers() {
        return providers;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** Whether the listen address was configured rather than defaulted. */
    public boolean bindAddressExplicit() {
        return bindAddressExplicit;
    }

    public RunLimits limits() {
        return limits;
    }

    public ServerOptions serverOptions() {
        return serverOptions;
    }

    /** Properties for the sandbox provider: the shared sandbox keys and provider keys that are set. */
    public Map<String, String> sandboxProperties() {
        return sandboxProperties;
    }

    public Optional<String> sandboxType() {
        return sandboxType;
    }

    public Optional<Path> specFile() {
        return specFile;
    }

    /** {@code scheduler.updatespecs}: when to re-read the spec file, if ever. */
    public Optional<CronSchedule> updateSpecs() {
        return updateSpecs;
    }

    /** slf4j-simple's level name: trace, debug, info, warn or error. */
    public String logLevel() {
        return logLevel;
    }

    public boolean dangerouslyExposeUnisolated() {
        return dangerouslyExposeUnisolated;
    }

    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    /** Problems that do not stop the server, to log once logging is set up. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The effective configuration, one key per line with its source, secrets masked. */
    public String describe() {
        var lines = new StringBuilder();
        var names = new LinkedHashSet<String>();
        registry.keys().stream().filter(key -> !key.isTemplate()).forEach(key -> names.add(key.name()));
        names.addAll(new TreeMap<>(settings).keySet());
        for (String name : names) {
            Optional<ConfigKey<?>> key = registry.find(name);
            String value;
            String source;
            if (name.equals(ServerKeys.BIND_ADDRESS.name())) {
                value = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
                source = portFlag != null || hostFlag != null ? "flags" : describeSource(name);
            } else {
                Setting setting = settings.get(name);
                value = setting != null
                        ? setting.value()
                        : key.map(ConfigKey::defaultHelp).orElse("");
                source = describeSource(name);
            }
            if (key.isPresent() && key.get().secret() && !value.isEmpty()) {
                value = "****** ("
                        + find(key.get())
                                .map(v -> v instanceof List ? ((List<?>) v).size() : 1)
                                .orElse(0) + " set)";
            }
            lines.append("  ")
                    .append(name)
                    .append(" = ")
                    .append(value.isEmpty() ? "(unset)" : value)
                    .append("  [")
                    .append(source)
                    .append("]\n");
        }
        return lines.toString();
    }

    /** The text of {@code --help}, its keys generated from {@code registry}. */
    public static String helpText(ConfigRegistry registry) {
        return "ranna for the JVM: a ranna-compatible code runner (WebSocket /v1/ws, REST /v1/*)\n\n"
                + "Usage: java -jar ranna-server.jar [options]\n\n"
                + "Options:\n"
                + "  --port <n>            listen port (overrides the port of api.bindaddress)\n"
                + "  --host <address>      listen address (overrides the host of api.bindaddress)\n"
                + "  --sandbox <name>      sandbox.type: docker, process, or another provider (default: automatic)\n"
                + "  --spec-file <path>    specfile: the language spec map (YAML or JSON)\n"
                + "  --config <path>       config file (YAML or JSON, ranna's keys); also RANNA_CONFIG\n"
                + "  --set <key>=<value>   set any configuration key below\n"
                + "  --version             print the version\n"
                + "  -h, --help            print this help\n\n"
                + "Precedence: flags > environment > config file > defaults.\n"
                + "Environment: RANNA_<KEY> with dots as underscores (RANNA_SANDBOX_MEMORY=200M) or kept\n"
                + "(RANNA_SANDBOX.MEMORY=200M); when both are set the dotted form wins.\n"
                + "Values: empty means unset (the default applies); booleans true/false, yes/no, on/off, 1/0;\n"
                + "sizes 100M, 1G, 512k; durations in whole seconds; lists comma separated.\n"
                + "Unknown keys are logged and ignored, except under a sandbox's own prefix (sandbox.docker.*,\n"
                + "sandbox.process.*), where they stop the server.\n"
                + "With no sandbox configured: the available sandbox of highest priority that can run the\n"
                + "languages (Docker, then the process sandbox with bubblewrap), else the process sandbox WITHOUT\n"
                + "isolation in local development mode (loopback only). The log says which and why.\n\n"
                + registry.describe();
    }
}
