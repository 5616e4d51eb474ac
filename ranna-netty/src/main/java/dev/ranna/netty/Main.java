package dev.ranna.netty;

import dev.ranna.engine.SandboxSelector;
import dev.ranna.netty.internal.BuildInfo;
import dev.ranna.netty.internal.ConfigException;
import dev.ranna.netty.internal.StandaloneConfig;
import dev.ranna.netty.internal.StandaloneLauncher;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone server: {@code java -jar ranna-server.jar [--port N] [--sandbox docker|process]
 * [--spec-file F] [--config F]}. See {@code --help} for every configuration key.
 *
 * <p>Exit codes: 0 after {@code --help}/{@code --version}, 2 for an invalid option or configuration
 * value, 1 when the server cannot start (no usable sandbox, port taken). Once started it runs until
 * SIGTERM/SIGINT, then shuts down gracefully. The only class that calls {@link System#exit}.
 */
public final class Main {
    /** {@link #run} result: the server is running; do not exit. */
    static final int STARTED = -1;

    static final int EXIT_CONFIG = 2;
    static final int EXIT_START = 1;

    private Main() {}

    public static void main(String[] args) {
        int status = run(args, System.getenv(), System.out, System.err);
        if (status != STARTED) {
            System.exit(status);
        }
    }

    /** Starts the server, or prints help or an error; returns {@link #STARTED} or an exit code. */
    static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
        ClassLoader loader =
                Objects.requireNonNullElse(Thread.currentThread().getContextClassLoader(), Main.class.getClassLoader());
        StandaloneConfig config;
        try {
            config = StandaloneConfig.load(Arrays.asList(args), environment, SandboxSelector.discover(loader));
        } catch (ConfigException e) {
            err.println("ranna: invalid configuration: " + e.getMessage());
            err.println("ranna: run with --help for the options and configuration keys");
            return EXIT_CONFIG;
        }
        if (config.help()) {
            out.print(StandaloneConfig.helpText(config.registry()));
            return 0;
        }
        if (config.version()) {
            out.println("ranna for the JVM " + BuildInfo.current().version() + " (built "
                    + BuildInfo.current().buildDate() + ", Java " + Runtime.version() + ")");
            return 0;
        }
        configureLogging(config.logLevel());
        Logger log = LoggerFactory.getLogger(Main.class);
        log.info(
                "ranna for the JVM {} starting; effective configuration:\n{}",
                BuildInfo.current().version(),
                config.describe());
        config.warnings().forEach(log::warn);
        RannaServer server;
        try {
            server = StandaloneLauncher.start(config, loader);
        } catch (ConfigException e) {
            log.error("invalid configuration: {}", e.getMessage());
            return EXIT_CONFIG;
        } catch (RuntimeException e) {
            log.error("cannot start: {}", e.getMessage());
            log.debug("start failure", e);
            return EXIT_START;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "ranna-shutdown"));
        return STARTED;
    }

    /** slf4j-simple reads these once, when the first logger is made; an explicit -D setting wins. */
    private static void configureLogging(String level) {
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", level);
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
        // Netty's debug output is about Netty, not about this server.
        setDefault(
                "org.slf4j.simpleLogger.log.io.netty",
                level.equals("trace") ? "trace" : level.equals("debug") ? "info" : level);
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
