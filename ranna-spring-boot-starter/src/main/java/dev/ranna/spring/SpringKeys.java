package dev.ranna.spring;

import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigType;
import java.util.List;

/**
 * The starter's own keys, under {@code ranna.} like ranna's: whether the starter is on, and where the API is
 * served. Every other {@code ranna.*} key is ranna's (see {@link RannaSettings#registry}).
 */
public final class SpringKeys {
    private SpringKeys() {}

    /** {@code ranna.enabled}: whether the starter configures anything at all. */
    public static final ConfigKey<Boolean> ENABLED = ConfigKey.builder("enabled", ConfigType.BOOLEAN)
            .defaultValue("true")
            .description("whether the ranna starter builds an engine and serves the API; false: nothing of ranna")
            .build();

    /** {@code ranna.web.pathprefix}: where the API is served. */
    public static final ConfigKey<String> PATH_PREFIX = ConfigKey.builder("web.pathprefix", ConfigType.STRING)
            .defaultHelp("none: /v1/ws, /v1/spec, /v1/info, /v1/exec")
            .description("path before /v1 of every endpoint, e.g. /ranna for /ranna/v1/ws; empty: the API at /v1")
            .build();

    /** Every starter key. */
    public static final List<ConfigKey<?>> ALL = List.of(ENABLED, PATH_PREFIX);
}
