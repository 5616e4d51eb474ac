package dev.ranna.sandbox.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Isolation;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.seccomp.SyscallTable;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.SpecMap;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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
 * system properties), else the local socket; {@link #availability} probes that same engine, and is
 * available only when it can run the spec map's languages (an image is present or its registry answers).
 *
 * <p>Thread-safe and cheap to construct; see {@link DockerSandboxConfig} for the configuration keys.
 */
public final class DockerSandboxProvider implements SandboxProvider {

    private static final Logger log = LoggerFactory.getLogger(DockerSandboxProvider.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final @Nullable String hostOverride;

    /** The provider, as {@link java.util.ServiceLoader} makes it. */
    public DockerSandboxProvider() {
        this(null);
    }

    /** A provider that talks to {@code dockerHost} unless {@code sandbox.docker.host} says otherwise (tests). */
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

    /** Every key the Docker sandbox reads: {@code sandbox.docker.*}, {@code sandbox.runtime}, {@code scheduler.updateimages}. */
    @Override
    public List<ConfigKey<?>> configKeys() {
        return DockerSandboxConfig.Keys.ALL;
    }

    /**
     * Hardened containers on the host's kernel; with {@code sandbox.runtime} naming gVisor ({@code runsc}),
     * on gVisor's user-space kernel. Judged from the configuration alone: {@link #create} checks the runtime
     * against the engine.
     */
    @Override
    public Isolation isolation(SandboxConfig config) {
        String runtime = config.get(SandboxConfig.RUNTIME).orElse("").toLowerCase(Locale.ROOT);
        if (runtime.contains("runsc") || runtime.contains("gvisor")) {
            return new Isolation(
                    Isolation.Level.SEPARATE_KERNEL,
                    "hardened containers on gVisor's user-space kernel (" + SandboxConfig.RUNTIME + "=" + runtime
                            + ")");
        }
        return new Isolation(
                Isolation.Level.SHARED_KERNEL,
                "hardened containers (namespaces, seccomp profile, no capabilities, cgroup limits) on the host's"
                        + " kernel");
    }

    /**
     * Not applicable when the engine address is a local socket that does not exist (no {@code
     * sandbox.docker.host}, no {@code DOCKER_HOST}, no Docker installed): a file lookup, no connection.
     */
    @Override
    public Optional<String> notApplicable(SandboxConfig config) {
        URI host;
        try {
            host = clientConfig(configuredHost(config)).getDockerHost();
        } catch (RuntimeException e) {
            return Optional.empty(); // the probe says what is wrong
        }
        if ("unix".equals(host.getScheme()) && host.getPath() != null && !Files.exists(Path.of(host.getPath()))) {
            return Optional.of("no Docker socket at " + host.getPath() + " (set " + DockerSandboxConfig.HOST
                    + " or DOCKER_HOST for another engine)");
        }
        return Optional.empty();
    }

    /**
     * Whether the engine at {@code sandbox.docker.host} (else docker-java's defaults) answers within {@code
     * sandbox.docker.probetimeout}, and can run {@code languages}: at least one of their images is on the
     * engine, or, when none is, pulling the first one starts (the registry answers with progress rather than
     * an error) within the same time. The probe does not wait for a pull to finish; with {@code
     * skipstartupprep} it tries none. Empty {@code languages}:
     * the engine alone is checked.
     */
    @Override
    public Availability availability(SandboxConfig config, Collection<LanguageSpec> languages) {
        DockerSandboxConfig docker;
        try {
            docker = DockerSandboxConfig.from(config);
        } catch (IllegalArgumentException e) {
            return Availability.unavailable("invalid configuration: " + e.getMessage());
        }
        String host = "(unknown)";
        try {
            DockerClientConfig clientConfig = clientConfig(configuredHost(config));
            host = clientConfig.getDockerHost().toString();
            long deadline = System.nanoTime() + docker.probeTimeout().toNanos();
            Version version = probe(clientConfig, docker.probeTimeout());
            var details = new LinkedHashMap<String, String>();
            details.put("docker.host", host);
            details.put("docker.version", version.getVersion());
            details.put("docker.api", version.getApiVersion());
            String reason = "Docker " + version.getVersion() + " answers at " + host;
            if (!languages.isEmpty()) {
                Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0))
                        .plusMillis(500);
                ImageCheck images = checkImages(clientConfig, languages, left, host, !docker.skipStartupPrep());
                if (!images.ok()) {
                    return Availability.unavailable(images.reason()).withDetails(details);
                }
                reason += "; " + images.reason();
            }
            return Availability.available(reason).withDetails(details);
        } catch (SandboxException | RuntimeException e) {
            return Availability.unavailable(
                    e instanceof SandboxException
                            ? String.valueOf(e.getMessage())
                            : "no usable Docker engine at " + host + ": " + Images.rootMessage(e));
        }
    }

    /** The outcome of {@link #checkImages}: whether the languages can run, and what was found. */
    record ImageCheck(boolean ok, String reason) {}

    /**
     * Whether the engine has, or can start pulling, the images of {@code languages}, within {@code budget}.
     * Without {@code tryPull} ({@code skipstartupprep}: the operator wants no pulls at start), an engine with
     * none of the images is taken at its word: runs pull their image on demand.
     */
    static ImageCheck checkImages(
            DockerClientConfig clientConfig,
            Collection<LanguageSpec> languages,
            Duration budget,
            String host,
            boolean tryPull) {
        var images = new LinkedHashSet<String>();
        languages.forEach(spec -> {
            String image = spec.image();
            if (image != null && !image.isBlank()) {
                images.add(image);
            }
        });
        if (images.isEmpty()) {
            return new ImageCheck(false, "no language of the spec map names an image, and containers need one");
        }
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(clientConfig.getDockerHost())
                .sslConfig(clientConfig.getSSLConfig())
                .maxConnections(2)
                .connectionTimeout(budget)
                .responseTimeout(budget)
                .build();
        DockerClient client = DockerClientImpl.getInstance(clientConfig, http);
        try {
            for (String image : images) {
                try {
                    client.inspectImageCmd(image).exec();
                    return new ImageCheck(true, "image " + image + " is present");
                } catch (NotFoundException e) {
                    // try the next one
                }
            }
            String first = images.iterator().next();
            String missing = images.size() == 1
                    ? "image " + first + " is not on the Docker host at " + host
                    : "none of the spec map's " + images.size() + " images (" + String.join(", ", images)
                            + ") is on the Docker host at " + host;
            if (!tryPull) {
                return new ImageCheck(
                        true,
                        missing + "; not trying a pull (" + SandboxConfig.SKIP_STARTUP_PREP + "): runs pull on demand");
            }
            var answer = new CompletableFuture<String>();
            String[] ref = Images.split(first);
            ResultCallback.Adapter<PullResponseItem> callback = new ResultCallback.Adapter<>() {
                @Override
                public void onNext(PullResponseItem item) {
                    if (item.getErrorDetail() != null || item.getError() != null) {
                        answer.completeExceptionally(new IllegalStateException(
                                item.getErrorDetail() != null
                                        ? item.getErrorDetail().getMessage()
                                        : item.getError()));
                    } else {
                        answer.complete(item.getStatus() == null ? "started" : item.getStatus());
                    }
                }

                @Override
                public void onError(Throwable throwable) {
                    answer.completeExceptionally(throwable);
                }

                @Override
                public void onComplete() {
                    answer.complete("pulled");
                    super.onComplete();
                }
            };
            try {
                client.pullImageCmd(ref[0]).withTag(ref[1]).exec(callback);
                String status = answer.get(budget.toMillis(), TimeUnit.MILLISECONDS);
                return new ImageCheck(
                        true, missing + ", but its registry answers (pulling " + first + ": " + status + ")");
            } catch (ExecutionException e) {
                return new ImageCheck(
                        false, missing + ", and pulling " + first + " failed: " + Images.rootMessage(e.getCause()));
            } catch (TimeoutException e) {
                return new ImageCheck(
                        false,
                        missing + ", and pulling " + first + " got no answer within " + budget.toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new ImageCheck(false, missing + "; interrupted while trying to pull " + first);
            } catch (RuntimeException e) {
                return new ImageCheck(false, missing + ", and pulling " + first + " failed: " + Images.rootMessage(e));
            } finally {
                try {
                    callback.close();
                } catch (IOException | RuntimeException e) {
                    log.debug("closing the probe pull: {}", e.toString());
                }
            }
        } catch (RuntimeException e) {
            return new ImageCheck(
                    false, "cannot look for images on the Docker host at " + host + ": " + Images.rootMessage(e));
        } finally {
            try {
                client.close();
            } catch (IOException | RuntimeException e) {
                log.debug("closing the probe client: {}", e.toString());
            }
        }
    }

    /** ranna's shipped languages on current official images. */
    @Override
    public SpecMap defaultSpecs(SandboxConfig config) {
        return DefaultSpecs.map();
    }

    /** {@code sandbox.docker.host}, else the address this provider was made for (tests), else none. */
    private Optional<String> configuredHost(SandboxConfig config) {
        return config.get(DockerSandboxConfig.HOST).or(() -> Optional.ofNullable(hostOverride));
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
            clientConfig = clientConfig(configuredHost(config));
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
