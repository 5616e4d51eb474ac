package dev.ranna.engine.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UidLeasesTest {

    @TempDir
    Path dir;

    @Test
    void eachUidOfTheRangeIsHandedOutOnceUntilReleased() throws Exception {
        UidLeases leases = UidLeases.open(dir.resolve("uids"), 5000, 3);
        var a = leases.acquire();
        var b = leases.acquire();
        var c = leases.acquire();
        assertThat(List.of(a.uid(), b.uid(), c.uid())).containsExactlyInAnyOrder(5000, 5001, 5002);
        assertThat(leases.acquire()).as("range exhausted").isNull();
        assertThat(leases.held()).isEqualTo(3);
        b.close();
        b.close(); // idempotent
        assertThat(leases.held()).isEqualTo(2);
        var again = leases.acquire();
        assertThat(again).isNotNull();
        assertThat(again.uid()).isEqualTo(b.uid());
        assertThat(Files.getPosixFilePermissions(dir.resolve("uids")))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void twoLeaseObjectsInOneJvmNeverShareAUid() throws Exception {
        // File locks are per process: without the in-JVM set the second tryLock would throw or succeed.
        UidLeases first = UidLeases.open(dir, 7000, 64);
        UidLeases second = UidLeases.open(dir, 7000, 64);
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        List<Integer> duplicates = new ArrayList<>();
        var threads = new ArrayList<Thread>();
        var go = new CountDownLatch(1);
        for (UidLeases leases : List.of(first, second, first, second)) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 16; i++) {
                        var lease = leases.acquire();
                        if (lease == null || !seen.add(lease.uid())) {
                            synchronized (duplicates) {
                                duplicates.add(lease == null ? -1 : lease.uid());
                            }
                        }
                    }
                } catch (Exception e) {
                    synchronized (duplicates) {
                        duplicates.add(-2);
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        assertThat(duplicates).isEmpty();
        assertThat(seen).hasSize(64);
        assertThat(first.acquire()).isNull();
        assertThat(second.acquire()).isNull();
        assertThat(first.held() + second.held()).isEqualTo(64);
    }

    @Test
    void aUidHeldByAnotherProcessIsSkippedAndFreedWhenThatProcessDies() throws Exception {
        UidLeases mine = UidLeases.open(dir, 9000, 4);
        Process other = holder(dir, 9000, 4, 2);
        try {
            Set<Integer> theirs = readUids(other, 2);
            assertThat(theirs).hasSize(2).allMatch(uid -> uid >= 9000 && uid < 9004);
            var a = mine.acquire();
            var b = mine.acquire();
            assertThat(Set.of(a.uid(), b.uid())).doesNotContainAnyElementsOf(theirs);
            assertThat(mine.acquire()).as("the other JVM holds the rest").isNull();

            // The kernel drops a dead process's locks: no stale claims after a crash.
            other.destroyForcibly();
            assertThat(other.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Set<Integer> reclaimed = new HashSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (reclaimed.size() < 2 && System.nanoTime() < deadline) {
                var lease = mine.acquire();
                if (lease != null) {
                    reclaimed.add(lease.uid());
                } else {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
            }
            assertThat(reclaimed).isEqualTo(theirs);
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void anotherProcessSkipsTheUidsThisOneHolds() throws Exception {
        UidLeases mine = UidLeases.open(dir, 9100, 3);
        var held = mine.acquire();
        Process other = holder(dir, 9100, 3, 3);
        try {
            Set<Integer> theirs = readUids(other, 3);
            assertThat(theirs).doesNotContain(held.uid()).hasSize(2);
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void aLockFileSymlinkIsNotFollowedAndForeignDirectoriesAreRefused() throws Exception {
        Path target = dir.resolve("target");
        Path uids = dir.resolve("uids");
        Files.createDirectory(uids);
        Files.createSymbolicLink(uids.resolve("8000.lock"), target);
        UidLeases leases = UidLeases.open(uids, 8000, 1);
        assertThatThrownBy(leases::acquire).isInstanceOf(IOException.class);
        assertThat(target).doesNotExist();

        Path open = dir.resolve("open");
        Files.createDirectory(open);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> UidLeases.open(open, 8000, 1)).hasMessageContaining("writable by other users");
    }

    @Test
    void theDirectoryKeyMustBeAbsoluteAndDefaultsToARunOrTempDirectory() {
        assertThat(UidLeases.directory(SandboxConfig.of(Map.of(UidLeases.DIRECTORY, "/x/y/../z"))))
                .isEqualTo(Path.of("/x/z"));
        assertThatThrownBy(() -> UidLeases.directory(SandboxConfig.of(Map.of(UidLeases.DIRECTORY, "rel"))))
                .hasMessageContaining(UidLeases.DIRECTORY);
        Path fallback =
                Path.of(System.getProperty("java.io.tmpdir"), "ranna-uids").toAbsolutePath();
        assertThat(UidLeases.directory(SandboxConfig.defaults())).isIn(UidLeases.RUN_DIRECTORY, fallback);
        assertThatThrownBy(() -> UidLeases.open(dir, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UidLeases.open(dir, Integer.MAX_VALUE, 2))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A second JVM that takes {@code n} leases and holds them until killed. */
    static Process holder(Path dir, int base, int count, int n) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        UidLeaseHolder.class.getName(),
                        dir.toString(),
                        Integer.toString(base),
                        Integer.toString(count),
                        Integer.toString(n))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static Set<Integer> readUids(Process process, int n) throws IOException {
        var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Set<Integer> uids = new HashSet<>();
        for (int i = 0; i < n; i++) {
            String line = reader.readLine();
            assertThat(line).as("holder output").isNotNull();
            if (!line.equals("none")) {
                uids.add(Integer.parseInt(line));
            }
        }
        assertThat(reader.readLine()).isEqualTo("ready");
        return uids;
    }
}
