package dev.ranna.engine;

import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigType;
import dev.ranna.engine.spi.config.ConfigValues;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The engine's configuration keys: ranna's run limits and spec-map keys and ours in the same style, with
 * their defaults. A server collects them with its own and the sandbox providers' keys into one {@link
 * dev.ranna.engine.spi.config.ConfigRegistry}; {@link #limits} turns configured values into {@link RunLimits}.
 */
public final class EngineKeys {
    private EngineKeys() {}

    /** A cron schedule (5 fields, or {@code @every 6h}); {@code off} or {@code none} is empty: never. */
    public static final ConfigType<Optional<CronSchedule>> SCHEDULE =
            ConfigType.of("a cron schedule such as '0 3 * * *' or '@every 6h', or off", text -> {
                String lower = text.trim().toLowerCase(Locale.ROOT);
                if (lower.equals("off") || lower.equals("none") || lower.equals("false") || lower.equals("-")) {
                    return Optional.empty();
                }
                try {
                    return Optional.of(CronSchedule.parse("schedule", text.trim()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("expected a cron schedule such as '0 3 * * *' or '@every 6h'");
                }
            });

    /** {@code sandbox.type}: the sandbox to use; empty picks automatically. */
    public static final ConfigKey<String> SANDBOX_TYPE = ConfigKey.builder("sandbox.type", ConfigType.STRING)
            .defaultHelp("automatic")
            .description("sandbox to use: docker, process, or any provider on the class path; empty picks"
                    + " automatically")
            .build();

    /** {@code specfile}: the operator's spec map. */
    public static final ConfigKey<String> SPEC_FILE = ConfigKey.builder("specfile", ConfigType.STRING)
            .description("spec map file (YAML or JSON, ranna's format); default: the sandbox's own language map")
            .ranna()
            .build();

    /** {@code scheduler.updatespecs}: when to re-read the spec file. */
    public static final ConfigKey<Optional<CronSchedule>> UPDATE_SPECS = ConfigKey.builder(
                    "scheduler.updatespecs", SCHEDULE)
            .description("cron schedule (5 fields, or @every 10m) for re-reading specfile; a broken file keeps the"
                    + " current map; empty or off: never")
            .ranna()
            .build();

    /** {@code sandbox.timeoutseconds}. */
    public static final ConfigKey<Duration> TIMEOUT = ConfigKey.builder("sandbox.timeoutseconds", ConfigType.SECONDS)
            .defaultValue("20")
            .description("wall-clock limit of one run in seconds")
            .ranna()
            .build();

    /** {@code sandbox.compile.timeoutseconds}. */
    public static final ConfigKey<Duration> COMPILE_TIMEOUT = ConfigKey.builder(
                    "sandbox.compile.timeoutseconds", ConfigType.SECONDS)
            .defaultValue("30")
            .description("wall-clock limit of a spec's compile stage in seconds; the run's own timeout starts after it")
            .build();

    /** {@code api.maxfiles}. */
    public static final ConfigKey<Integer> MAX_FILES = ConfigKey.builder(
                    "api.maxfiles", ConfigType.nonNegativeInteger())
            .defaultValue("64")
            .description("most extra files one run may carry (EXEC files); they count against api.maxcodesize")
            .build();

    /** {@code api.maxoutputlen}. */
    public static final ConfigKey<Long> MAX_OUTPUT = ConfigKey.builder("api.maxoutputlen", ConfigType.POSITIVE_SIZE)
            .defaultValue("1M")
            .description("stdout plus stderr bytes per run before it is killed (size)")
            .ranna()
            .build();

    /** {@code api.maxcodesize}. */
    public static final ConfigKey<Integer> MAX_CODE = ConfigKey.builder("api.maxcodesize", ConfigType.INT_SIZE)
            .defaultValue("512k")
            .description("largest accepted code (size)")
            .build();

    /** {@code api.maxargumentsize}. */
    public static final ConfigKey<Integer> MAX_ARGUMENTS = ConfigKey.builder("api.maxargumentsize", ConfigType.INT_SIZE)
            .defaultValue("64k")
            .description("largest total of arguments and environment of one run (size)")
            .build();

    /** {@code api.maxstdinbuffer}. */
    public static final ConfigKey<Integer> MAX_STDIN_BUFFER = ConfigKey.builder(
                    "api.maxstdinbuffer", ConfigType.INT_SIZE)
            .defaultValue("1M")
            .description("standard input of one interactive run held for its program, sent and not read yet;"
                    + " a STDIN past it is refused with 413 (size)")
            .build();

    /** {@code api.maxrunsperconnection}. */
    public static final ConfigKey<Integer> MAX_RUNS_PER_CONNECTION = ConfigKey.builder(
                    "api.maxrunsperconnection", ConfigType.positiveInteger())
            .defaultValue("4")
            .description("concurrent runs of one WebSocket connection")
            .build();

    /** {@code api.maxrunsperclient}. */
    public static final ConfigKey<Integer> MAX_RUNS_PER_CLIENT = ConfigKey.builder(
                    "api.maxrunsperclient", ConfigType.nonNegativeInteger())
            .defaultValue("4")
            .description("concurrent runs (queued or running) of one client address across all its connections and"
                    + " REST calls, so one client cannot hold every slot; 0: no cap")
            .build();

    /** {@code sandbox.maxconcurrentruns}. */
    public static final ConfigKey<Integer> MAX_CONCURRENT_RUNS = ConfigKey.builder(
                    "sandbox.maxconcurrentruns", ConfigType.positiveInteger())
            .defaultValue("8")
            .description("runs executing at once; more wait in a queue")
            .build();

    /** {@code sandbox.maxqueuedruns}. */
    public static final ConfigKey<Integer> MAX_QUEUED_RUNS = ConfigKey.builder(
                    "sandbox.maxqueuedruns", ConfigType.nonNegativeInteger())
            .defaultValue("64")
            .description("runs waiting for a slot before EXEC is refused with 503")
            .build();

    /** {@code api.ws.ratelimit.burst}. */
    public static final ConfigKey<Integer> RATE_LIMIT_BURST = ConfigKey.builder(
                    "api.ws.ratelimit.burst", ConfigType.nonNegativeInteger())
            .defaultValue("0")
            .description("EXECs per client address in a burst; 0 disables rate limiting")
            .ranna()
            .build();

    /** {@code api.ws.ratelimit.limitseconds}. */
    public static final ConfigKey<Duration> RATE_LIMIT_SECONDS = ConfigKey.builder(
                    "api.ws.ratelimit.limitseconds", ConfigType.SECONDS)
            .defaultValue("1")
            .description("seconds to refill one EXEC token of the rate limit")
            .ranna()
            .build();

    /** {@code shutdowntimeoutseconds}. */
    public static final ConfigKey<Duration> SHUTDOWN_TIMEOUT = ConfigKey.builder(
                    "shutdowntimeoutseconds", ConfigType.SECONDS)
            .defaultValue("10")
            .description("seconds a shutdown waits for killed runs to end")
            .build();

    /** Every engine key, in {@code --help} order. */
    public static final List<ConfigKey<?>> ALL = List.of(
            SANDBOX_TYPE,
            SPEC_FILE,
            UPDATE_SPECS,
            TIMEOUT,
            COMPILE_TIMEOUT,
            MAX_OUTPUT,
            MAX_CODE,
            MAX_FILES,
            MAX_ARGUMENTS,
            MAX_STDIN_BUFFER,
            MAX_RUNS_PER_CONNECTION,
            MAX_RUNS_PER_CLIENT,
            MAX_CONCURRENT_RUNS,
            MAX_QUEUED_RUNS,
            RATE_LIMIT_BURST,
            RATE_LIMIT_SECONDS,
            SHUTDOWN_TIMEOUT);

    /**
     * The run limits {@code values} configure, defaults for the rest.
     *
     * @throws IllegalArgumentException naming the key and the value if one is invalid
     */
    public static RunLimits limits(ConfigValues values) {
        return RunLimits.builder()
                .timeout(values.get(TIMEOUT))
                .compileTimeout(values.get(COMPILE_TIMEOUT))
                .maxFiles(values.get(MAX_FILES))
                .maxOutputBytes(values.get(MAX_OUTPUT))
                .maxCodeBytes(values.get(MAX_CODE))
                .maxArgumentBytes(values.get(MAX_ARGUMENTS))
                .maxStdinBufferBytes(values.get(MAX_STDIN_BUFFER))
                .maxRunsPerSession(values.get(MAX_RUNS_PER_CONNECTION))
                .maxRunsPerClient(values.get(MAX_RUNS_PER_CLIENT))
                .maxConcurrentRuns(values.get(MAX_CONCURRENT_RUNS))
                .maxQueuedRuns(values.get(MAX_QUEUED_RUNS))
                .rateLimit(values.get(RATE_LIMIT_BURST), values.get(RATE_LIMIT_SECONDS))
                .build();
    }
}
