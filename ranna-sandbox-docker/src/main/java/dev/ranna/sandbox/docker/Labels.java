package dev.ranna.sandbox.docker;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The labels that mark a container as created by this sandbox, and who owns it.
 *
 * <p>The owner label ({@code host/pid/start-millis} of the JVM) lets the start-up reaper tell containers of
 * a crashed instance (same host, process gone) from those of a live instance sharing the engine.
 */
final class Labels {

    /** Present on every container this sandbox creates. */
    static final String SANDBOX = "dev.ranna.sandbox";
    /** The engine instance ({@code SandboxConfig.instanceId()}). */
    static final String INSTANCE = "dev.ranna.instance";
    /** {@code host/pid/start-epoch-millis} of the JVM that created it. */
    static final String OWNER = "dev.ranna.owner";
    /** The spec key the container was prepared for. */
    static final String SPEC = "dev.ranna.spec";
    /** The run id, for containers created for a known run (pooled ones get it in their name instead). */
    static final String RUN = "dev.ranna.run";
    /** The host uid leased to the container (absent when the operator fixed the user). */
    static final String UID = "dev.ranna.uid";

    static final String SANDBOX_VALUE = "docker";

    private static final String HOST = computeHostName();
    private static final String OWNER_VALUE = computeOwner();

    private Labels() {}

    static String owner() {
        return OWNER_VALUE;
    }

    static Map<String, String> forContainer(String instanceId, String specKey, Optional<String> runId) {
        var labels = new LinkedHashMap<String, String>();
        labels.put(SANDBOX, SANDBOX_VALUE);
        labels.put(INSTANCE, instanceId);
        labels.put(OWNER, OWNER_VALUE);
        labels.put(SPEC, specKey);
        runId.ifPresent(id -> labels.put(RUN, id));
        return labels;
    }

    /**
     * Whether a container with owner label {@code owner} was left by a process of this host that no longer
     * runs. Containers of other hosts, of live processes and without a readable owner are never orphans.
     */
    static boolean isOrphan(String owner) {
        String[] parts = owner.split("/");
        if (parts.length != 3 || !parts[0].equals(HOST)) {
            return false;
        }
        long pid;
        long started;
        try {
            pid = Long.parseLong(parts[1]);
            started = Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty()) {
            return true;
        }
        return process.get()
                .info()
                .startInstant()
                .map(instant -> instant.toEpochMilli() != started)
                .orElse(false);
    }

    private static String computeOwner() {
        ProcessHandle self = ProcessHandle.current();
        long started = self.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
        return HOST + "/" + self.pid() + "/" + started;
    }

    private static String computeHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown");
        }
    }
}
