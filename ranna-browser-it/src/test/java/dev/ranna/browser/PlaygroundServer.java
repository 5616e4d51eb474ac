package dev.ranna.browser;

import dev.ranna.netty.RannaServer;
import dev.ranna.netty.internal.StandaloneConfig;
import dev.ranna.netty.internal.StandaloneLauncher;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The standalone server as {@code java -jar ranna-server.jar} starts it (same configuration path, same
 * launcher), in this JVM, on the process sandbox (bubblewrap where it works, else its unisolated local
 * development mode, loopback only), on 127.0.0.1 and a real port. {@link #restart()} stops it and starts
 * it again on the same port, under a page that stays open.
 */
final class PlaygroundServer implements AutoCloseable {
    private final List<String> settings;
    private RannaServer server;
    private final int port;

    private PlaygroundServer(List<String> settings) {
        this.settings = settings;
        this.server = launch(settings, 0);
        this.port = server.port();
    }

    /** {@code settings}: configuration keys and values ({@code "sandbox.timeoutseconds", "5"}, ...). */
    static PlaygroundServer start(String... settings) {
        return new PlaygroundServer(List.of(settings));
    }

    private static RannaServer launch(List<String> settings, int port) {
        var args =
                new ArrayList<>(List.of("--host", "127.0.0.1", "--port", String.valueOf(port), "--sandbox", "process"));
        for (int i = 0; i < settings.size(); i += 2) {
            args.add("--set");
            args.add(settings.get(i) + "=" + settings.get(i + 1));
        }
        return StandaloneLauncher.start(StandaloneConfig.load(args, Map.of()), PlaygroundServer.class.getClassLoader());
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    int port() {
        return port;
    }

    RannaServer server() {
        return server;
    }

    void stop() {
        server.close();
    }

    /** Starts it again on the same port (after {@link #stop()}). */
    void startAgain() {
        server = launch(settings, port);
    }

    @Override
    public void close() {
        server.close();
    }
}
