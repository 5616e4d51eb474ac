package dev.ranna.sandbox.docker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The OCI runtime every run container uses, as the engine registered it ({@code docker info}'s {@code
 * Runtimes}): its name, binary and arguments, and what follows for isolation.
 *
 * <p>gVisor ({@code runsc}) puts a user-space kernel between the program and the host: system calls are
 * served by gVisor's Sentry, not the host kernel. runsc ignores a container's seccomp profile unless it was
 * registered with {@code --oci-seccomp}; then ranna's profile filters inside gVisor as well.
 *
 * @param name the runtime's name as the engine knows it, e.g. {@code runc} or {@code runsc}
 * @param path the runtime's binary as registered
 * @param args the runtime arguments the engine passes (empty when none)
 * @param chosen true if {@code sandbox.runtime} named it, false if it is the engine's default
 */
record OciRuntime(String name, String path, List<String> args, boolean chosen) {

    OciRuntime {
        args = List.copyOf(args);
    }

    /**
     * The runtime {@code requested} (or the engine's default) as {@code info} registers it.
     *
     * @throws SandboxException naming the engine's runtimes if {@code requested} is not among them
     */
    static OciRuntime resolve(Optional<String> requested, JsonNode info, String host) throws SandboxException {
        JsonNode runtimes = info.path("Runtimes");
        String name = requested.orElseGet(() -> {
            String fallback = info.path("DefaultRuntime").asText("");
            return fallback.isBlank() ? "runc" : fallback;
        });
        JsonNode registered = runtimes.get(name);
        if (registered == null || !registered.isObject()) {
            if (requested.isEmpty()) {
                // An engine that does not list its default runtime: nothing to check against.
                return new OciRuntime(name, name, List.of(), false);
            }
            var known = new TreeSet<String>();
            runtimes.fieldNames().forEachRemaining(known::add);
            throw new SandboxException(
                    ErrorCode.UNAVAILABLE,
                    "the Docker engine at " + host + " has no runtime \"" + name + "\" (" + SandboxConfig.RUNTIME
                            + "); it has " + (known.isEmpty() ? "none listed" : String.join(", ", known))
                            + ". Register it in the engine's daemon.json (\"runtimes\") and reload dockerd (SIGHUP),"
                            + " or unset " + SandboxConfig.RUNTIME,
                    null);
        }
        var args = new ArrayList<String>();
        registered.path("runtimeArgs").forEach(arg -> args.add(arg.asText()));
        String path = registered.path("path").asText(name);
        return new OciRuntime(name, path, args, requested.isPresent());
    }

    /** Whether this is gVisor: the runtime's binary (or its name) is {@code runsc}. */
    boolean gvisor() {
        String binary = path.substring(path.lastIndexOf('/') + 1);
        return binary.equals("runsc") || name.equals("runsc");
    }

    /** Whether runsc loads the container's seccomp profile ({@code --oci-seccomp}); false for other runtimes. */
    boolean gvisorLoadsSeccomp() {
        return gvisor()
                && args.stream()
                        .anyMatch(a -> a.equals("--oci-seccomp")
                                || a.equals("-oci-seccomp")
                                || a.equals("--oci-seccomp=true")
                                || a.equals("-oci-seccomp=true"));
    }

    /** Host tasks gVisor needs for itself (measured: 56 for an idle container on the ptrace platform). */
    static final long GVISOR_BASE_TASKS = 64;

    /**
     * Host tasks gVisor spends per guest process (measured on the ptrace platform, runsc 2022-12-19: 227
     * host tasks for 20 sleeping processes, 847 for 100).
     */
    static final long GVISOR_TASKS_PER_PROCESS = 8;

    /**
     * The container's pids cgroup limit for {@code pids} processes. runc: the same number, since the cgroup
     * counts the program's own tasks. gVisor: the cgroup counts the Sentry's threads and, on the ptrace
     * platform, a stub process and threads per guest process; an unscaled limit of 64 leaves room for
     * barely one pipeline. Scaled so that about {@code pids} guest processes fit. Reaching it makes gVisor
     * itself fail, which ends the run (a fork does not just return EAGAIN as on runc).
     */
    long hostPidsLimit(long pids) {
        if (!gvisor()) {
            return pids;
        }
        return GVISOR_BASE_TASKS + GVISOR_TASKS_PER_PROCESS * pids;
    }

    /** The kernel a run's system calls reach, for {@code /v1/info}. */
    String isolation() {
        return gvisor() ? "gVisor user-space kernel" : "shared host kernel";
    }

    /** The runtime with its arguments, e.g. {@code runsc (/usr/bin/runsc --network=none)}. */
    String describe() {
        return name + " (" + path + (args.isEmpty() ? "" : " " + String.join(" ", args)) + ")"
                + (chosen ? "" : ", the engine's default");
    }
}
