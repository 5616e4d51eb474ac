/**
 * The sandbox SPI: what a sandbox module implements so the engine can run code in it.
 *
 * <p>Providers are found with {@link java.util.ServiceLoader}: a jar lists its {@link
 * dev.ranna.engine.spi.SandboxProvider} in {@code META-INF/services/dev.ranna.engine.spi.SandboxProvider}.
 * Each type documents who calls it, whether it may block and what order it guarantees. A new sandbox is
 * proven by extending {@code dev.ranna.sandbox.tck.SandboxProviderTck}.
 */
@NullMarked
package dev.ranna.engine.spi;

import org.jspecify.annotations.NullMarked;
