/**
 * Configuration keys and their one grammar, shared by the standalone server, the engine and every sandbox
 * provider.
 *
 * <p>A {@link dev.ranna.engine.spi.config.ConfigKey} has a dotted lower-case name ({@code sandbox.memory}), an
 * environment-variable form ({@code RANNA_SANDBOX_MEMORY}), a {@link dev.ranna.engine.spi.config.ConfigType}
 * that parses its text, a default and a one-line description. A {@link
 * dev.ranna.engine.spi.config.ConfigRegistry} collects the keys of every part of a server, answers whether a
 * name is known, and generates {@code --help}.
 *
 * <p>The grammar, the same for every key: a value is text; an empty or blank value means "not set" (the
 * default applies). Booleans are {@code true}/{@code false}, {@code yes}/{@code no}, {@code on}/{@code
 * off} or {@code 1}/{@code 0}, in any case. Sizes are ranna's ({@code 100M}, {@code 1G}, {@code 512k},
 * {@code 1024}; powers of 1024). Whole numbers are decimal. Durations are whole seconds. Lists are
 * separated by commas or whitespace (a config file may use a YAML list). Choices are one of the listed
 * words, in any case.
 *
 * <p>Part of the SPI, because providers declare their keys with it ({@link
 * dev.ranna.engine.spi.SandboxProvider#configKeys()}); it depends on the JDK alone. The server and the
 * engine declare theirs with the same types.
 */
@NullMarked
package dev.ranna.engine.spi.config;

import org.jspecify.annotations.NullMarked;
