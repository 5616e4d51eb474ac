package dev.ranna.netty.internal;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.ranna.engine.CronSchedule;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.spi.Sizes;
import dev.ranna.netty.ServerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The standalone server's configuration: ranna's keys and ours, from command-line flags, environment
 * variables ({@code RANNA_SANDBOX_MEMORY} or {@code RANNA_SANDBOX.MEMORY}), a YAML or JSON file
 * ({@code --config} or {@code RANNA_CONFIG}) and the defaults, in that order of precedence. Every value
 * is validated when loaded; a bad one is a {@link ConfigException} naming the key, the value and where it
 * came from.
 *
 * <p>Immutable. Loading logs nothing (logging is configured from the result); {@link #warnings()} holds
 * what should be logged once it is.
 */
public final class StandaloneConfig {
    /** The environment variable that names the config file. */
    public static final String CONFIG_ENV = "RANNA_CONFIG";

    private static final String PREFIX = "RANNA_";

    /** A value and where it came from. */
    record Setting(String value, String source) {}

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
            Map<String, Setting> settings,
            List<String> warnings,
            boolean help,
            boolean version,
            @Nullable Integer portFlag,
            @Nullable String hostFlag) {
        this.settings = settings;
        this.warnings = warnings;
        this.help = help;
        this.version = version;
        this.portFlag = portFlag;
        this.hostFlag = hostFlag;

        String[] bind = parseBindAddress(raw(ConfigKey.BIND_ADDRESS));
        this.host = hostFlag != null ? hostFlag : bind[0];
        this.port = portFlag != null ? portFlag : parsePort(ConfigKey.BIND_ADDRESS, bind[1]);
        this.bindAddressExplicit = hostFlag != null || settings.containsKey(ConfigKey.BIND_ADDRESS.name());

        this.limits = buildLimits();
        this.serverOptions = buildServerOptions();
        this.sandboxProperties = buildSandboxProperties();
        this.sandboxType = Optional.of(raw(ConfigKey.SANDBOX_TYPE).toLowerCase(Locale.ROOT))
                .filter(s -> !s.isEmpty());
        this.specFile =
                Optional.of(raw(ConfigKey.SPEC_FILE)).filter(s -> !s.isEmpty()).map(this::specPath);
        this.logLevel = bool(ConfigKey.DEBUG) ? "debug" : parseLogLevel(raw(ConfigKey.LOG_LEVEL));
        this.dangerouslyExposeUnisolated = bool(ConfigKey.DANGEROUSLY_EXPOSE_UNISOLATED);
        this.shutdownTimeout = Duration.ofSeconds(positiveInt(ConfigKey.SHUTDOWN_SECONDS));
        schedule(ConfigKey.UPDATE_IMAGES);
        this.updateSpecs = schedule(ConfigKey.UPDATE_SPECS);
        if (updateSpecs.isPresent() && specFile.isEmpty()) {
            warnings.add(ConfigKey.UPDATE_SPECS.name() + " is set but " + ConfigKey.SPEC_FILE.name()
                    + " is not: there is no spec file to reload");
        }
        validateSkipStartupPrep();
        if (limits.maxCodeBytes() > serverOptions.maxMessageBytes()) {
            warnings.add(ConfigKey.MAX_CODE.name() + " exceeds " + ConfigKey.WS_MAX_MESSAGE.name()
                    + ": large code will close WebSocket connections (1009) instead of getting ERROR 413");
        }
        if (limits.maxCodeBytes() > serverOptions.maxRequestBytes()) {
            warnings.add(ConfigKey.MAX_CODE.name() + " exceeds " + ConfigKey.MAX_BODY.name()
                    + ": large code sent to /v1/exec is refused by the body limit first");
        }
    }

    /**
     * Reads the configuration.
     *
     * @param args the command line
     * @param environment the process environment
     * @throws ConfigException for an unknown flag or an invalid value
     */
    public static StandaloneConfig load(List<String> args, Map<String, String> environment) {
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
                    portFlag = parsePort("--port", value);
                    break;
                case "--host":
                    if (value.isBlank()) {
                        throw new ConfigException("--host: expected an address, got '" + value + "'");
                    }
                    hostFlag = value.trim();
                    break;
                case "--sandbox":
                    flags.put(ConfigKey.SANDBOX_TYPE.name(), new Setting(value.trim(), "flag --sandbox"));
                    break;
                case "--spec-file":
                    flags.put(ConfigKey.SPEC_FILE.name(), new Setting(value.trim(), "flag --spec-file"));
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
                    if (ConfigKey.find(key).isEmpty() && !ConfigKey.isProviderKey(key)) {
                        throw new ConfigException("--set: unknown configuration key '" + key + "'");
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
                if (known(entry.getKey(), source, warnings)) {
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
                if (known(key, source, warnings)) {
                    settings.put(key, new Setting(entry.getValue(), source));
                }
            }
        }
        settings.putAll(flags);
        return new StandaloneConfig(settings, warnings, help, version, portFlag, hostFlag);
    }

    private static boolean known(String key, String source, List<String> warnings) {
        if (ConfigKey.find(key).isPresent() || ConfigKey.isProviderKey(key)) {
            return true;
        }
        warnings.add("unknown configuration key '" + key + "' (" + source + "); ignored");
        return false;
    }

    private static Map<String, String> readFile(Path path) {
        JsonNode tree;
        try {
            String text = Files.readString(path);
            boolean json = path.getFileName() != null
                    && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
            tree = json ? new ObjectMapper().readTree(text) : new YAMLMapper().readTree(text);
        } catch (JacksonException e) {
            throw new ConfigException("config file " + path + " is not valid YAML or JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + path + ": " + e);
        }
        var out = new LinkedHashMap<String, String>();
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            return out;
        }
        if (!tree.isObject()) {
            throw new ConfigException("config file " + path + ": expected a map of keys at the top level");
        }
        flatten("", tree, out, path);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out, Path path) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            var field = fields.next();
            String key = (prefix.isEmpty() ? "" : prefix + ".") + field.getKey().toLowerCase(Locale.ROOT);
            JsonNode value = field.getValue();
            if (value.isObject()) {
                flatten(key, value, out, path);
            } else if (value.isArray()) {
                var parts = new ArrayList<String>();
                for (JsonNode item : value) {
                    if (!item.isValueNode()) {
                        throw new ConfigException("config file " + path + ": " + key + ": expected a list of values");
                    }
                    parts.add(item.asText());
                }
                out.put(key, String.join(",", parts));
            } else if (!value.isNull()) {
                out.put(key, value.asText());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Typed views

    private RunLimits buildLimits() {
        try {
            return RunLimits.builder()
                    .timeout(Duration.ofSeconds(positiveInt(ConfigKey.SANDBOX_TIMEOUT)))
                    .maxOutputBytes(size(ConfigKey.MAX_OUTPUT_LEN))
                    .maxCodeBytes(intSize(ConfigKey.MAX_CODE))
                    .maxArgumentBytes(intSize(ConfigKey.MAX_ARGUMENTS))
                    .maxRunsPerSession(positiveInt(ConfigKey.MAX_RUNS_PER_CONNECTION))
                    .maxRunsPerClient(nonNegativeInt(ConfigKey.MAX_RUNS_PER_CLIENT))
                    .maxConcurrentRuns(positiveInt(ConfigKey.MAX_CONCURRENT_RUNS))
                    .maxQueuedRuns(nonNegativeInt(ConfigKey.MAX_QUEUED_RUNS))
                    .rateLimit(
                            nonNegativeInt(ConfigKey.RATE_LIMIT_BURST),
                            Duration.ofSeconds(positiveInt(ConfigKey.RATE_LIMIT_SECONDS)))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private ServerOptions buildServerOptions() {
        List<String> proxies = list(ConfigKey.TRUSTED_PROXIES);
        try {
            TrustedProxies.parse(proxies);
        } catch (IllegalArgumentException e) {
            throw invalid(ConfigKey.TRUSTED_PROXIES, e.getMessage());
        }
        List<String> cors = list(ConfigKey.CORS_ORIGINS);
        try {
            return ServerOptions.builder()
                    .maxMessageBytes(intSize(ConfigKey.WS_MAX_MESSAGE))
                    .maxRequestBytes(intSize(ConfigKey.MAX_BODY))
                    .handshakeTimeout(Duration.ofSeconds(positiveInt(ConfigKey.HANDSHAKE_SECONDS)))
                    .idleTimeout(Duration.ofSeconds(positiveInt(ConfigKey.IDLE_SECONDS)))
                    .pingInterval(Duration.ofSeconds(positiveInt(ConfigKey.WS_PING_SECONDS)))
                    .pongTimeout(Duration.ofSeconds(positiveInt(ConfigKey.WS_PONG_SECONDS)))
                    .maxConnectionsPerClient(nonNegativeInt(ConfigKey.WS_MAX_CONNECTIONS))
                    .maxConnectionsPerAddress(nonNegativeInt(ConfigKey.MAX_CONNECTIONS_PER_CLIENT))
                    .maxConnections(
                            raw(ConfigKey.MAX_CONNECTIONS).equalsIgnoreCase("auto")
                                    ? ServerOptions.defaultMaxConnections()
                                    : nonNegativeInt(ConfigKey.MAX_CONNECTIONS))
                    .ipv6PrefixLength(ipv6Prefix())
                    .writeTimeout(Duration.ofSeconds(positiveInt(ConfigKey.WRITE_TIMEOUT_SECONDS)))
                    .trustedProxies(proxies)
                    .tokens(new LinkedHashSet<>(list(ConfigKey.TOKENS)))
                    .corsAllowedOrigins(cors.isEmpty() ? List.of("*") : cors)
                    .webSocketAllowedOrigins(list(ConfigKey.WS_ORIGINS))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /**
     * Every {@code sandbox.*} key, plus {@code hostrootdir}, {@code skipstartupprep} and {@code
     * scheduler.updateimages}, for the provider.
     */
    private Map<String, String> buildSandboxProperties() {
        var out = new TreeMap<String, String>();
        for (ConfigKey key : ConfigKey.ALL) {
            if (key.name().startsWith("sandbox.") && key != ConfigKey.SANDBOX_TYPE) {
                String value = raw(key);
                if (!value.isEmpty()) {
                    out.put(key.name(), value);
                }
            }
        }
        for (ConfigKey key : List.of(ConfigKey.HOST_ROOT_DIR, ConfigKey.SKIP_STARTUP_PREP, ConfigKey.UPDATE_IMAGES)) {
            if (!raw(key).isEmpty()) {
                out.put(key.name(), raw(key));
            }
        }
        settings.forEach((name, setting) -> {
            if (ConfigKey.isProviderKey(name) && ConfigKey.find(name).isEmpty()) {
                out.put(name, setting.value().trim());
            }
        });
        // Validate ranna's sandbox keys here, so a bad value is a configuration error, not a start failure.
        size(ConfigKey.SANDBOX_MEMORY);
        size(ConfigKey.SANDBOX_STREAM_BUFFER_CAP);
        bool(ConfigKey.SANDBOX_NETWORKING);
        return out;
    }

    private void validateSkipStartupPrep() {
        bool(ConfigKey.SKIP_STARTUP_PREP);
    }

    private Path specPath(String value) {
        if (value.startsWith("http://") || value.startsWith("https://")) {
            throw invalid(ConfigKey.SPEC_FILE, "only local files are supported, got a URL");
        }
        Path path = Path.of(value);
        if (!Files.isRegularFile(path)) {
            throw invalid(ConfigKey.SPEC_FILE, "no such file");
        }
        return path;
    }

    private static String parseLogLevel(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "trace":
                return "trace";
            case "debug":
                return "debug";
            case "":
            case "info":
                return "info";
            case "warn":
            case "warning":
                return "warn";
            case "error":
            case "fatal":
            case "panic":
                return "error";
            default:
                throw new ConfigException(ConfigKey.LOG_LEVEL.name()
                        + ": expected trace, debug, info, warn or error, got '" + value + "'");
        }
    }

    /** {@code :8080}, {@code 127.0.0.1:8080}, {@code [::1]:8080}, {@code localhost:8080} or just {@code 8080}. */
    private String[] parseBindAddress(String value) {
        String text = value.trim();
        if (text.matches("\\d+")) {
            return new String[] {"0.0.0.0", text};
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw invalid(ConfigKey.BIND_ADDRESS, "expected host:port such as :8080 or 127.0.0.1:8080");
        }
        String hostPart = text.substring(0, colon).trim();
        String portPart = text.substring(colon + 1).trim();
        if (hostPart.startsWith("[") && hostPart.endsWith("]")) {
            hostPart = hostPart.substring(1, hostPart.length() - 1);
        } else if (hostPart.contains(":")) {
            throw invalid(ConfigKey.BIND_ADDRESS, "put an IPv6 address in brackets, e.g. [::1]:8080");
        }
        return new String[] {hostPart.isEmpty() ? "0.0.0.0" : hostPart, portPart};
    }

    private int parsePort(ConfigKey key, String value) {
        try {
            return parsePort(key.name(), value);
        } catch (ConfigException e) {
            throw invalid(key, "expected a port 0..65535 in host:port");
        }
    }

    private static int parsePort(String name, String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": expected a port 0..65535, got '" + value + "'");
        }
    }

    private String raw(ConfigKey key) {
        Setting setting = settings.get(key.name());
        return setting == null ? key.defaultValue() : setting.value().trim();
    }

    /** A cron schedule, or empty when the key is unset or {@code off}. */
    private Optional<CronSchedule> schedule(ConfigKey key) {
        String value = raw(key);
        if (value.isEmpty() || value.equalsIgnoreCase("off") || value.equalsIgnoreCase("none")) {
            return Optional.empty();
        }
        try {
            return Optional.of(CronSchedule.parse(key.name(), value));
        } catch (IllegalArgumentException e) {
            throw invalid(key, "expected a cron schedule such as '0 3 * * *' or '@every 6h'");
        }
    }

    private ConfigException invalid(ConfigKey key, String problem) {
        return new ConfigException(
                key.name() + " (" + describeSource(key.name()) + "): " + problem + ", got '" + raw(key) + "'");
    }

    private String describeSource(String name) {
        Setting setting = settings.get(name);
        return setting == null ? "default" : setting.source();
    }

    private long size(ConfigKey key) {
        try {
            long value = Sizes.parse(key.name(), raw(key));
            if (value <= 0) {
                throw invalid(key, "must be > 0");
            }
            return value;
        } catch (IllegalArgumentException e) {
            if (e instanceof ConfigException) {
                throw e;
            }
            throw invalid(key, "expected a size such as 100M, 1G or 512k");
        }
    }

    private int intSize(ConfigKey key) {
        long value = size(key);
        if (value > Integer.MAX_VALUE - 1024) {
            throw invalid(key, "must be below 2G");
        }
        return (int) value;
    }

    private boolean bool(ConfigKey key) {
        switch (raw(key).toLowerCase(Locale.ROOT)) {
            case "true":
            case "1":
            case "yes":
            case "on":
                return true;
            case "":
            case "false":
            case "0":
            case "no":
            case "off":
                return false;
            default:
                throw invalid(key, "expected true or false");
        }
    }

    private int nonNegativeInt(ConfigKey key) {
        try {
            int value = Integer.parseInt(raw(key));
            if (value < 0) {
                throw invalid(key, "must be >= 0");
            }
            return value;
        } catch (NumberFormatException e) {
            throw invalid(key, "expected a whole number");
        }
    }

    private int ipv6Prefix() {
        int value = positiveInt(ConfigKey.IPV6_PREFIX);
        if (value > 128) {
            throw invalid(ConfigKey.IPV6_PREFIX, "must be 1..128");
        }
        return value;
    }

    private int positiveInt(ConfigKey key) {
        int value = nonNegativeInt(key);
        if (value == 0) {
            throw invalid(key, "must be > 0");
        }
        return value;
    }

    private List<String> list(ConfigKey key) {
        var out = new ArrayList<String>();
        for (String part : raw(key).split("[,\\s]+")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Accessors

    public boolean help() {
        return help;
    }

    public boolean version() {
        return version;
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

    /** Properties for the sandbox provider: ranna's {@code sandbox.*} keys and provider keys. */
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
        ConfigKey.ALL.forEach(key -> names.add(key.name()));
        names.addAll(new TreeMap<>(settings).keySet());
        for (String name : names) {
            Optional<ConfigKey> key = ConfigKey.find(name);
            String value;
            String source;
            if (name.equals(ConfigKey.BIND_ADDRESS.name())) {
                value = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
                source = portFlag != null || hostFlag != null ? "flags" : describeSource(name);
            } else {
                Setting setting = settings.get(name);
                value = setting != null
                        ? setting.value()
                        : key.map(ConfigKey::defaultValue).orElse("");
                source = describeSource(name);
            }
            if (key.isPresent() && key.get().secret() && !value.isEmpty()) {
                value = "****** (" + list(key.get()).size() + " set)";
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

    /** The text of {@code --help}. */
    public static String helpText() {
        var text = new StringBuilder();
        text.append("ranna for the JVM: a ranna-compatible code runner (WebSocket /v1/ws, REST /v1/*)\n\n")
                .append("Usage: java -jar ranna-server.jar [options]\n\n")
                .append("Options:\n")
                .append("  --port <n>            listen port (overrides the port of api.bindaddress)\n")
                .append("  --host <address>      listen address (overrides the host of api.bindaddress)\n")
                .append("  --sandbox <name>      sandbox.type: docker or process (default: automatic)\n")
                .append("  --spec-file <path>    specfile: the language spec map (YAML or JSON)\n")
                .append("  --config <path>       config file (YAML or JSON, ranna's keys); also RANNA_CONFIG\n")
                .append("  --set <key>=<value>   set any configuration key below\n")
                .append("  --version             print the version\n")
                .append("  -h, --help            print this help\n\n")
                .append("Precedence: flags > environment > config file > defaults.\n")
                .append("Environment: RANNA_<KEY> with dots as underscores (RANNA_SANDBOX_MEMORY=200M) or kept\n")
                .append("(RANNA_SANDBOX.MEMORY=200M); when both are set the dotted form wins.\n")
                .append("Sizes: 100M, 1G, 512k. Provider keys sandbox.<provider>.<key> pass through to the sandbox.\n")
                .append("With no sandbox configured: Docker if an engine answers, else the process sandbox with\n")
                .append("bubblewrap, else the process sandbox WITHOUT isolation in local development mode (loopback\n")
                .append("only).\n\n")
                .append("Keys (default):\n");
        for (ConfigKey key : ConfigKey.ALL) {
            text.append("  ")
                    .append(key.name())
                    .append(key.defaultValue().isEmpty() ? "" : " (" + key.defaultValue() + ")")
                    .append(key.ranna() ? "" : " [ranna-jvm]")
                    .append("\n      ")
                    .append(key.description())
                    .append('\n');
        }
        return text.toString();
    }
}
