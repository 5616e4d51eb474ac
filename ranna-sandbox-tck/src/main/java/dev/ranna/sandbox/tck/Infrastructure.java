package dev.ranna.sandbox.tck;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one gate for tests that need something of the host: bubblewrap, a Docker engine, a runtime, root,
 * a cgroup controller, a compiler. A test states what it needs as a condition and a reason; when the
 * condition does not hold the test is <b>skipped with the reason</b> on a developer's machine, and
 * <b>fails with the reason</b> where the infrastructure is required, so a CI machine that lacks what a
 * suite is there to prove cannot pass by skipping it.
 *
 * <p>Infrastructure is required when the system property {@value #REQUIRE_PROPERTY} is {@code true}, or,
 * when that property is not set to {@code true} or {@code false}, when the environment variable {@code
 * CI} is {@code true}. The property set to {@code false} wins over {@code CI=true}: an explicit, visible
 * opt-out (the kit's own tests use it to show the local behaviour under CI).
 *
 * <pre>{@code
 * Infrastructure.require(HostTools.isRoot(), "per-run uids need a root server");
 * }</pre>
 *
 * <p>Use it for what the host provides, never for what the code under test declares about itself (a
 * provider that declares it does not isolate runs is not missing infrastructure; see {@link
 * SandboxProviderTck#isolatesRuns()}). Stateless and thread-safe; it reads the property and the
 * environment on every call.
 */
public final class Infrastructure {

    /** The system property that turns a missing piece of infrastructure from a skip into a failure. */
    public static final String REQUIRE_PROPERTY = "ranna.tck.requireAvailable";

    private Infrastructure() {}

    /**
     * Whether missing infrastructure fails the test rather than skipping it: {@value #REQUIRE_PROPERTY}
     * when it is {@code true} or {@code false}, else whether the environment variable {@code CI} is
     * {@code true}.
     */
    public static boolean required() {
        return required(System.getProperty(REQUIRE_PROPERTY), System.getenv("CI"));
    }

    static boolean required(@Nullable String property, @Nullable String ci) {
        if ("true".equalsIgnoreCase(property)) {
            return true;
        }
        if ("false".equalsIgnoreCase(property)) {
            return false;
        }
        return "true".equalsIgnoreCase(ci);
    }

    /**
     * Returns when {@code present} holds; otherwise skips the calling test (or class, from a
     * {@code @BeforeAll}) with {@code reason}, or fails it with {@code reason} when infrastructure is
     * {@linkplain #required() required}.
     *
     * @param present whether the host has what the test needs
     * @param reason what is missing, for a person reading the test report
     * @throws org.opentest4j.TestAbortedException to skip
     * @throws org.opentest4j.AssertionFailedError to fail
     */
    public static void require(boolean present, String reason) {
        if (present) {
            return;
        }
        if (required()) {
            Assertions.fail(reason + " (failing instead of skipping because " + REQUIRE_PROPERTY + "=true or CI=true)");
        }
        Assumptions.abort(reason);
    }
}
