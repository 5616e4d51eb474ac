/**
 * The {@code process} sandbox: local processes isolated with bubblewrap, limited with cgroups and
 * rlimits. Public: {@link dev.ranna.sandbox.process.ProcessSandboxProvider} (found with {@link
 * java.util.ServiceLoader}) and {@link dev.ranna.sandbox.process.ProcessSandboxConfig}; everything else is
 * package-private.
 */
@NullMarked
package dev.ranna.sandbox.process;

import org.jspecify.annotations.NullMarked;
