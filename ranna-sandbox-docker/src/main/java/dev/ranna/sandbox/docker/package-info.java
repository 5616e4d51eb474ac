/**
 * A sandbox that runs every program in its own hardened Docker container, through docker-java.
 *
 * <p>Public: {@link dev.ranna.sandbox.docker.DockerSandboxProvider} (found with {@link java.util.ServiceLoader}
 * under the name {@code docker}) and {@link dev.ranna.sandbox.docker.DockerSandboxConfig}, the typed view of
 * its configuration keys. Everything else is package-private. The module README describes the container
 * profile, how code reaches the container and the warm pool.
 */
@NullMarked
package dev.ranna.sandbox.docker;

import org.jspecify.annotations.NullMarked;
