/**
 * The sandbox conformance kit: the checks every {@link dev.ranna.engine.spi.SandboxProvider} must pass.
 *
 * <p>A sandbox module proves itself with one test class that extends {@link
 * dev.ranna.sandbox.tck.SandboxProviderTck} and implements its abstract methods; see that class for the
 * steps. This jar is meant for the test scope: it brings JUnit Jupiter and AssertJ with it.
 */
@NullMarked
package dev.ranna.sandbox.tck;

import org.jspecify.annotations.NullMarked;
