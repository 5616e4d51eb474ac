package dev.ranna.netty.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The server's version and build date, from a resource Maven filters at build time. */
public record BuildInfo(String version, String buildDate) {

    private static final BuildInfo CURRENT = load();

    /** This build's info; {@code "dev"}/{@code "unknown"} when run from an unfiltered class path. */
    public static BuildInfo current() {
        return CURRENT;
    }

    private static BuildInfo load() {
        var properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/ranna/netty/build.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // Fall through to the placeholders: a missing version must not stop the server.
        }
        return new BuildInfo(
                clean(properties.getProperty("version"), "dev"), clean(properties.getProperty("builddate"), "unknown"));
    }

    private static String clean(String value, String fallback) {
        return value == null || value.isBlank() || value.startsWith("${") ? fallback : value.trim();
    }
}
