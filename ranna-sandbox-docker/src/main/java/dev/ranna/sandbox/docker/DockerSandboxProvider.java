package dev.ranna.sandbox.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.engine.spi.seccomp.SyscallTable;
import dev.ranna.protocol.ErrorCode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each program in its own hardened Docker container (docker-java over the httpclient5 transport).
 *
 * <p>Name {@code docker}, priority 100: chosen first whenever a Docker engine answers. The engine address
 * comes from {@code sandbox.docker.host}, else docker-java's usual settings ({@code DOCKER_HOST}, {@code
 * DOCKER_TLS_VERIFY}, {@code DOCKER_CERT_PATH}, {@code ~/.docker/config.json}, as environment variables or
 * system properties), else the local socket. {@link #availability()} has no configuration and therefore
 * probes the latter; it answers within {@value #DEFAULT_PROBE_SECONDS} seconds.
 *
 * <p>Thread-safe and cheap to construct; see {@link DockerSandboxConfig} for the configuration keys.
 */
public final class DockerSandboxProvider implements SandboxProvider {

    private static final Logger log = LoggerFactory.getLogger(DockerSandboxProvider.class);
    private static final int DEFAULT_PROBE_SECONDS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final @Nullable String hostOverride;

    /** The provider, as {@link java.util.ServiceLoader} makes it. */
    public DockerSandboxProvider() {
        this(null);
    }

    /** A provider whose availability probe targets {@code dockerHost} (tests). */
    DockerSandboxProvider(@Nullable String dockerHost) {
        this.hostOverride = dockerHost;
    }

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability availability() {
        String host = "(unknown)";
        try {
            DockerClientConfig clientConfig = clientConfig(Optional.ofNullable(hostOverride));
            host = clientConfig.getDockerHost().toString();
            Version version = probe(clientConfig, Duration.ofSeconds(DEFAULT_PROBE_SECONDS));
            var details = new LinkedHashMap<String, String>();
            details.put("docker.host", host);
            details.put("docker.version", version.getVersion());
            details.put("docker.api", version.getApiVersion());
            return Availability.available("Docker " + version.getVersion() + " answers at " + host)
                    .withDetails(details);
        } catch (SandboxException | RuntimeException e) {
            return Availability.unavailable(
                    e instanceof SandboxException
                            ? e.getMessage()
                            : "no usable Docker engine at " + host + ": " + Images.rootMessage(e));
        }
    }

    @Override
    public Sandbox create(SandboxConfig config) throws SandboxException {
        DockerSandboxConfig docker;
        try {
            docker = DockerSandboxConfig.from(config);
        } catch (IllegalArgumentException e) {
            throw new SandboxException("docker sandbox configuration: " + e.getMessage(), e);
        }
        DockerClientConfig clientConfig;
        try {
            clientConfig = clientConfig(docker.host().or(() -> Optional.ofNullable(hostOverride)));
        } catch (RuntimeException e) {
            throw new SandboxException("docker sandbox configuration: " + Images.rootMessage(e), e);
        }
        String host = clientConfig.getDockerHost().toString();
        Version version = probe(clientConfig, docker.probeTimeout());
        String arch = version.getArch() == null ? "unknown" : version.getArch();
        if (docker.rannaSeccomp() && SyscallTable.forArch(arch).isEmpty()) {
            throw new SandboxException(
                    ErrorCode.UNAVAILABLE,
                    "ranna's seccomp profile supports x86_64 engines only, the engine at " + host + " is " + arch
                            + "; set " + DockerSandboxConfig.SECCOMP + "=docker to use the engine's default profile",
                    null);
        }
        DockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(clientConfig.getDockerHost())
                .sslConfig(clientConfig.getSSLConfig())
                .maxConnections(200)
                .connectionTimeout(Duration.ofSeconds(10))
                .build();
        DockerClient client = DockerClientImpl.getInstance(clientConfig, http);
        OciRuntime runtime;
        try {
            runtime = OciRuntime.resolve(docker.runtime(), engineInfo(http), host);
        } catch (SandboxException | IOException | RuntimeException e) {
            closeQuietly(client);
            if (e instanceof SandboxException known) {
                throw known;
            }
            throw new SandboxException(
                    "cannot ask the Docker engine at " + host + " for its runtimes: " + Images.rootMessage(e), e);
        }
        if (runtime.gvisor() && docker.rannaSeccomp() && !runtime.gvisorLoadsSeccomp()) {
            log.warn(
                    "runtime {} is gVisor without --oci-seccomp: gVisor's kernel serves every system call and"
                            + " ranna's seccomp profile is not loaded; register runsc with \"--oci-seccomp\" to"
                            + " filter inside gVisor too",
                    runtime.describe());
        }
        UidLeases leases;
        Path leaseDir = docker.uidLeaseDir();
        try {
            leases = UidLeases.open(leaseDir, docker.uidBase(), docker.uidCount());
        } catch (IOException e) {
            closeQuietly(client);
            throw new SandboxException(
                    ErrorCode.UNAVAILABLE,
                    "cannot lease run uids in " + leaseDir + " (" + UidLeases.DIRECTORY + "): " + e.getMessage(),
                    e);
        }
        var sandbox = new DockerSandbox(
                client,
                docker,
                "docker " + version.getVersion() + " (API " + version.getApiVersion() + ")",
                host,
                leases,
                runtime);
        try {
            sandbox.startUp();
        } catch (RuntimeException e) {
            sandbox.close();
            throw new SandboxException("docker sandbox start-up failed: " + Images.rootMessage(e), e);
        }
        log.info("docker sandbox ready: {} at {}, {}", sandbox.version(), host, docker);
        return sandbox;
    }

    /**
     * The engine's {@code GET /info} as JSON. Read raw: docker-java's model drops each runtime's {@code
     * runtimeArgs}, which tell whether runsc loads seccomp profiles.
     */
    private static JsonNode engineInfo(DockerHttpClient http) throws IOException {
        var request = DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET)
                .path("/info")
                .build();
        try (DockerHttpClient.Response response = http.execute(request)) {
            if (response.getStatusCode() != 200) {
                throw new IOException("GET /info answered " + response.getStatusCode());
            }
            return JSON.readTree(response.getBody());
        }
    }

    private static void closeQuietly(DockerClient client) {
        try {
            client.close();
        } catch (IOException | RuntimeException closing) {
            log.debug("closing the client: {}", closing.toString());
        }
    }

    static DockerClientConfig clientConfig(Optional<String> host) {
        DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig.createDefaultConfigBuilder();
        host.ifPresent(builder::withDockerHost);
        return builder.build();
    }

    /** Asks the engine for its version within {@code timeout}. */
    static Version probe(DockerClientConfig clientConfig, Duration timeout) throws SandboxException {
        String host = clientConfig.getDockerHost().toString();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(clientConfig.getDockerHost())
                .sslConfig(clientConfig.getSSLConfig())
                .maxConnections(2)
                .connectionTimeout(timeout)
                .responseTimeout(timeout)
                .build();
        DockerClient client = DockerClientImpl.getInstance(clientConfig, http);
        CompletableFuture<Version> answer =
                CompletableFuture.supplyAsync(() -> client.versionCmd().exec());
        try {
            return answer.get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new SandboxException(
                    "no usable Docker engine at " + host + ": " + Images.rootMessage(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new SandboxException(
                    "no usable Docker engine at " + host + ": no answer within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while probing the Docker engine at " + host, e);
        } finally {
            try {
                client.close();
            } catch (IOException | RuntimeException e) {
                log.debug("closing the probe client: {}", e.toString());
            }
        }
    }
}
