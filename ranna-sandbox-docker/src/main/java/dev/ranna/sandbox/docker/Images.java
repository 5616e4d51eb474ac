package dev.ranna.sandbox.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.ranna.engine.spi.SandboxException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image pulls: at most one pull per image at a time, each bounded in time, failures explained with the
 * image's name. Also caches each image's own {@code ENTRYPOINT}, which a spec without an entrypoint runs
 * its command through (as ranna does, where Docker applies it).
 */
final class Images {

    private static final Logger log = LoggerFactory.getLogger(Images.class);
    private static final long PULL_TIMEOUT_MINUTES = 30;

    private final DockerClient client;
    private final Executor executor;
    private final Consumer<String> onImageChanged;
    private final Map<String, CompletableFuture<Void>> pulls = new ConcurrentHashMap<>();
    private final Map<String, List<String>> entrypoints = new ConcurrentHashMap<>();

    /**
     * @param onImageChanged called with an image's name when a pull changed what it points to
     */
    Images(DockerClient client, Executor executor, Consumer<String> onImageChanged) {
        this.client = client;
        this.executor = executor;
        this.onImageChanged = onImageChanged;
    }

    /** Pulls every image in the background; failures are logged (a local image may not be pullable). */
    void pullAllInBackground(List<String> images, String why) {
        for (String image : images) {
            pull(image).whenComplete((ok, error) -> {
                if (error != null) {
                    log.warn(
                            "{}: could not pull image {} ({}); a local copy is used if present",
                            why,
                            image,
                            rootMessage(error));
                } else {
                    log.info("{}: pulled image {}", why, image);
                }
            });
        }
    }

    /**
     * Makes sure {@code image} is on the Docker host, pulling it if needed; blocks.
     *
     * @throws SandboxException naming the image when it is missing and cannot be pulled
     */
    void ensurePresent(String image) throws SandboxException {
        try {
            client.inspectImageCmd(image).exec();
            return;
        } catch (NotFoundException e) {
            // pull below
        } catch (RuntimeException e) {
            throw new SandboxException("could not inspect image " + image + ": " + rootMessage(e), e);
        }
        try {
            pull(image).get(PULL_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            // The daemon's error names registries, resolvers and addresses: the operator's log gets it,
            // the client gets what it can act on.
            log.warn("image {} is missing and could not be pulled: {}", image, rootMessage(e.getCause()));
            throw new SandboxException(
                    "image " + image + " is not available: it is not on the Docker host and pulling it failed",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new SandboxException(
                    "image " + image + " is not available: pulling it took longer than " + PULL_TIMEOUT_MINUTES
                            + " minutes",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while pulling image " + image, e);
        }
    }

    /** The image's own entrypoint (empty if none); cached until the image is pulled again. */
    List<String> entrypoint(String image) {
        return entrypoints.computeIfAbsent(image, name -> {
            var config = client.inspectImageCmd(name).exec().getConfig();
            String[] entrypoint = config == null ? null : config.getEntrypoint();
            return entrypoint == null ? List.of() : List.of(entrypoint);
        });
    }

    /** One pull of {@code image}, shared by concurrent callers. */
    CompletableFuture<Void> pull(String image) {
        return pulls.computeIfAbsent(image, name -> {
            var future = CompletableFuture.runAsync(() -> doPull(name), executor);
            future.whenComplete((ok, error) -> pulls.remove(name, future));
            return future;
        });
    }

    private void doPull(String image) {
        @Nullable String before = imageId(image);
        String[] ref = split(image);
        var callback = new StreamCallback<PullResponseItem>(item -> {
            if (item.getErrorDetail() != null || item.getError() != null) {
                String message =
                        item.getErrorDetail() != null ? item.getErrorDetail().getMessage() : item.getError();
                throw new IllegalStateException(message);
            }
        });
        client.pullImageCmd(ref[0]).withTag(ref[1]).exec(callback);
        try {
            callback.done().get(PULL_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callback.close();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(rootMessage(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            callback.close();
            throw new IllegalStateException("timed out", e);
        }
        @Nullable String after = imageId(image);
        if (after == null) {
            throw new IllegalStateException("the pull finished but the image is not there");
        }
        if (!Objects.equals(before, after)) {
            entrypoints.remove(image);
            if (before != null) {
                log.info("image {} changed: {} -> {}", image, before, after);
                onImageChanged.accept(image);
            }
        }
    }

    private @Nullable String imageId(String image) {
        try {
            return client.inspectImageCmd(image).exec().getId();
        } catch (NotFoundException e) {
            return null;
        }
    }

    /** {@code [repository, tag-or-digest]}; the tag defaults to {@code latest} (an empty tag pulls all tags). */
    static String[] split(String image) {
        int at = image.indexOf('@');
        if (at >= 0) {
            return new String[] {image.substring(0, at), image.substring(at + 1)};
        }
        int colon = image.lastIndexOf(':');
        int slash = image.lastIndexOf('/');
        if (colon > slash) {
            return new String[] {image.substring(0, colon), image.substring(colon + 1)};
        }
        return new String[] {image, "latest"};
    }

    static String rootMessage(@Nullable Throwable error) {
        Throwable t = error;
        while (t != null
                && t.getCause() != null
                && t.getCause() != t
                && (t.getMessage() == null
                        || t instanceof ExecutionException
                        || t instanceof java.util.concurrent.CompletionException)) {
            t = t.getCause();
        }
        if (t == null) {
            return "unknown error";
        }
        String message = t.getMessage() == null
                ? t.getClass().getSimpleName()
                : t.getMessage().strip();
        // docker error bodies are JSON ({"message":"..."}); keep them short and on one line
        message = message.replaceAll("^(?:Status \\d+: )?\\{\"message\":\"(.*)\"\\}$", "$1")
                .replace("\\\"", "\"")
                .replace('\n', ' ');
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }
}
