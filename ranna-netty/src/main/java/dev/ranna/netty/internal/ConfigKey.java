package dev.ranna.netty.internal;

import java.util.List;
import java.util.Optional;

/**
 * One configuration key of the standalone server: ranna's own keys with ranna's meaning and defaults,
 * plus ours in the same style. The table here is the single source of {@code --help} and of validation.
 *
 * @param name the dotted, lower-case key, e.g. {@code sandbox.memory}
 * @param defaultValue the default as text, empty if the key has none
 * @param description one line for {@code --help}
 * @param secret whether the value is masked in logs
 * @param ranna whether ranna itself has this key
 */
public record ConfigKey(String name, String defaultValue, String description, boolean secret, boolean ranna) {

    public static final ConfigKey BIND_ADDRESS =
            ranna("api.bindaddress", ":8080", "listen address host:port; an empty host means every interface");
    public static final ConfigKey MAX_OUTPUT_LEN =
            ranna("api.maxoutputlen", "1M", "stdout plus stderr bytes per run before it is killed (size)");
    public static final ConfigKey TRUSTED_PROXIES = ranna(
            "api.trustedproxies", "", "addresses or CIDR ranges whose X-Forwarded-For is believed (comma separated)");
    public static final ConfigKey RATE_LIMIT_BURST =
            ranna("api.ws.ratelimit.burst", "0", "EXECs per client address in a burst; 0 disables rate limiting");
    public static final ConfigKey RATE_LIMIT_SECONDS =
            ranna("api.ws.ratelimit.limitseconds", "1", "seconds to refill one EXEC token of the rate limit");
    public static final ConfigKey SANDBOX_RUNTIME =
            ranna("sandbox.runtime", "", "OCI runtime for Docker containers, e.g. runsc (Docker's default when empty)");
    public static final ConfigKey SANDBOX_NETWORKING =
            ranna("sandbox.enablenetworking", "false", "whether programs get network access");
    public static final ConfigKey SANDBOX_MEMORY = ranna("sandbox.memory", "100M", "memory limit of one run (size)");
    public static final ConfigKey SANDBOX_TIMEOUT =
            ranna("sandbox.timeoutseconds", "20", "wall-clock limit of one run in seconds");
    public static final ConfigKey SANDBOX_STREAM_BUFFER_CAP =
            ranna("sandbox.streambuffercap", "50M", "passed to the sandbox: cap of its output stream buffers (size)");
    public static final ConfigKey SPEC_FILE =
            ranna("specfile", "", "spec map file (YAML or JSON); default: the sandbox's own language map");
    public static final ConfigKey HOST_ROOT_DIR =
            ranna("hostrootdir", "", "passed to the sandbox: host directory for run files");
    public static final ConfigKey SKIP_STARTUP_PREP =
            ranna("skipstartupprep", "false", "skip image pulls and other preparation at start");
    public static final ConfigKey UPDATE_IMAGES = ranna(
            "scheduler.updateimages",
            "",
            "passed to the sandbox: cron schedule (5 fields, or @every 6h) for re-pulling the Docker sandbox's"
                    + " images; its default is 0 3 * * *; off disables");
    public static final ConfigKey UPDATE_SPECS = ranna(
            "scheduler.updatespecs",
            "",
            "cron schedule (5 fields, or @every 10m) for re-reading specfile; a broken file keeps the current"
                    + " map; empty or off: never");
    public static final ConfigKey LOG_LEVEL =
            ranna("log.level", "info", "log level: trace, debug, info, warn (or warning), error");
    public static final ConfigKey DEBUG = ranna("debug", "false", "shorthand for log.level=debug");

    public static final ConfigKey SANDBOX_TYPE = ours(
            "sandbox.type",
            "",
            "sandbox to use: docker, process, or any provider on the class path; empty picks automatically");
    public static final ConfigKey TOKENS = new ConfigKey(
            "api.tokens",
            "",
            "access tokens (comma separated); when set, REST needs 'Authorization: Bearer <token>', WebSocket"
                    + " that header or ?token=",
            true,
            false);
    public static final ConfigKey CORS_ORIGINS =
            ours("api.cors.allowedorigins", "*", "origins answered by CORS (comma separated); * allows any");
    public static final ConfigKey WS_ORIGINS = ours(
            "api.ws.allowedorigins", "", "origins whose WebSocket upgrades are accepted (comma separated); empty: any");
    public static final ConfigKey WS_MAX_MESSAGE =
            ours("api.ws.maxmessagesize", "2M", "largest WebSocket message; larger closes with 1009 (size)");
    public static final ConfigKey WS_MAX_CONNECTIONS =
            ours("api.ws.maxconnectionsperclient", "32", "open WebSocket connections per client address; 0: unlimited");
    public static final ConfigKey WS_PING_SECONDS =
            ours("api.ws.pingintervalseconds", "30", "seconds of client silence before the server pings");
    public static final ConfigKey WS_PONG_SECONDS =
            ours("api.ws.pongtimeoutseconds", "30", "seconds without any answer to a ping before closing");
    public static final ConfigKey HANDSHAKE_SECONDS = ours(
            "api.handshaketimeoutseconds", "10", "seconds from connect to a complete request or WebSocket handshake");
    public static final ConfigKey IDLE_SECONDS = ours(
            "api.idletimeoutseconds",
            "15",
            "seconds an idle HTTP keep-alive connection stays open (short: each costs a descriptor; WebSockets"
                    + " are pinged instead)");
    public static final ConfigKey MAX_CONNECTIONS = ours(
            "api.maxconnections",
            "auto",
            "open connections server-wide; more are answered 503 and closed at once; auto: 3/4 of the"
                    + " open-file limit and at least 512 below it, so runs keep descriptors; 0: unlimited");
    public static final ConfigKey MAX_CONNECTIONS_PER_CLIENT = ours(
            "api.maxconnectionsperclient",
            "64",
            "open connections (HTTP and WebSocket) per client address, so one client cannot take every"
                    + " descriptor; not applied to trusted proxies; 0: unlimited");
    public static final ConfigKey IPV6_PREFIX = ours(
            "api.ipv6prefixlength",
            "64",
            "IPv6 clients are keyed by this prefix for every per-client limit (one host usually holds a whole"
                    + " /64); 128: each address alone");
    public static final ConfigKey WRITE_TIMEOUT_SECONDS = ours(
            "api.writetimeoutseconds",
            "30",
            "seconds an answer or event may wait to reach a client that does not read before its connection"
                    + " is closed (and its runs killed)");
    public static final ConfigKey MAX_BODY = ours("api.maxbodysize", "2M", "largest REST request body (size)");
    public static final ConfigKey MAX_CODE = ours("api.maxcodesize", "512k", "largest accepted code (size)");
    public static final ConfigKey MAX_ARGUMENTS =
            ours("api.maxargumentsize", "64k", "largest total of arguments and environment of one run (size)");
    public static final ConfigKey MAX_RUNS_PER_CONNECTION =
            ours("api.maxrunsperconnection", "4", "concurrent runs of one WebSocket connection");
    public static final ConfigKey MAX_RUNS_PER_CLIENT = ours(
            "api.maxrunsperclient",
            "4",
            "concurrent runs (queued or running) of one client address across all its connections and REST"
                    + " calls, so one client cannot hold every slot; 0: no cap");
    public static final ConfigKey MAX_CONCURRENT_RUNS =
            ours("sandbox.maxconcurrentruns", "8", "runs executing at once; more wait in a queue");
    public static final ConfigKey MAX_QUEUED_RUNS =
            ours("sandbox.maxqueuedruns", "64", "runs waiting for a slot before EXEC is refused with 503");
    public static final ConfigKey UID_LEASE_DIR = ours(
            "sandbox.uidleasedir",
            "",
            "passed to the sandbox: directory where run uids are leased host-wide (every server on a host must"
                    + " use the same one); default /run/ranna/uids, else under java.io.tmpdir");
    public static final ConfigKey SHUTDOWN_SECONDS =
            ours("shutdowntimeoutseconds", "10", "seconds a shutdown waits for killed runs to end");
    public static final ConfigKey DANGEROUSLY_EXPOSE_UNISOLATED = ours(
            "api.dangerouslyexposeunisolated",
            "false",
            "DANGER: allow a non-loopback address and foreign WebSocket origins while programs run with no"
                    + " isolation (anyone who can connect can run any command as this server's user)");

    /** Every key, in {@code --help} order. */
    public static final List<ConfigKey> ALL = List.of(
            BIND_ADDRESS,
            MAX_OUTPUT_LEN,
            TRUSTED_PROXIES,
            RATE_LIMIT_BURST,
            RATE_LIMIT_SECONDS,
            SANDBOX_RUNTIME,
            SANDBOX_NETWORKING,
            SANDBOX_MEMORY,
            SANDBOX_TIMEOUT,
            SANDBOX_STREAM_BUFFER_CAP,
            SPEC_FILE,
            HOST_ROOT_DIR,
            SKIP_STARTUP_PREP,
            UPDATE_IMAGES,
            UPDATE_SPECS,
            LOG_LEVEL,
            DEBUG,
            SANDBOX_TYPE,
            TOKENS,
            CORS_ORIGINS,
            WS_ORIGINS,
            WS_MAX_MESSAGE,
            WS_MAX_CONNECTIONS,
            WS_PING_SECONDS,
            WS_PONG_SECONDS,
            HANDSHAKE_SECONDS,
            IDLE_SECONDS,
            MAX_CONNECTIONS,
            MAX_CONNECTIONS_PER_CLIENT,
            IPV6_PREFIX,
            WRITE_TIMEOUT_SECONDS,
            MAX_BODY,
            MAX_CODE,
            MAX_ARGUMENTS,
            MAX_RUNS_PER_CONNECTION,
            MAX_RUNS_PER_CLIENT,
            MAX_CONCURRENT_RUNS,
            MAX_QUEUED_RUNS,
            UID_LEASE_DIR,
            SHUTDOWN_SECONDS,
            DANGEROUSLY_EXPOSE_UNISOLATED);

    private static ConfigKey ranna(String name, String defaultValue, String description) {
        return new ConfigKey(name, defaultValue, description, false, true);
    }

    private static ConfigKey ours(String name, String defaultValue, String description) {
        return new ConfigKey(name, defaultValue, description, false, false);
    }

    /** The known key called {@code name}. */
    public static Optional<ConfigKey> find(String name) {
        for (ConfigKey key : ALL) {
            if (key.name.equals(name)) {
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code name} is a sandbox provider's own key ({@code sandbox.<provider>.<key>}), passed through. */
    public static boolean isProviderKey(String name) {
        return name.matches("sandbox\\.[a-z0-9][a-z0-9-]*\\.[a-z0-9][a-z0-9._-]*");
    }

    /** The environment variable for this key, underscore form: {@code RANNA_SANDBOX_MEMORY}. */
    public String environmentName() {
        return "RANNA_" + name.replace('.', '_').toUpperCase(java.util.Locale.ROOT);
    }
}
