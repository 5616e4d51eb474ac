package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkDirsTest {

    @Test
    void deletingATreeNeverFollowsLinks(@TempDir Path temp) throws Exception {
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Path victim = Files.writeString(outside.resolve("victim"), "keep");
        Path tree = Files.createDirectories(temp.resolve("tree/a/b"));
        Files.createSymbolicLink(tree.resolve("file-link"), victim);
        Files.createSymbolicLink(tree.resolve("dir-link"), outside);
        Files.createSymbolicLink(temp.resolve("tree/root-link"), Path.of("/"));
        Files.writeString(tree.resolve("plain"), "x");
        Files.setPosixFilePermissions(temp.resolve("tree/a"), PosixFilePermissions.fromString("---------"));

        WorkDirs.deleteTree(temp.resolve("tree"));

        assertThat(temp.resolve("tree")).doesNotExist();
        assertThat(victim).hasContent("keep");
        assertThat(outside).isDirectory();
    }

    @Test
    void deadInstancesAreReapedAndLiveOnesKept(@TempDir Path root) throws Exception {
        String deadId = UUID.randomUUID().toString();
        Path dead = Files.createDirectories(root.resolve("ranna-process-" + deadId + "/run-1"));
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        Files.writeString(dead.getParent().resolve("owner"), finished.pid() + " 0\n");

        String liveId = UUID.randomUUID().toString();
        Path live = Files.createDirectories(root.resolve("ranna-process-" + liveId + "/run-1"));
        ProcessHandle self = ProcessHandle.current();
        Files.writeString(
                live.getParent().resolve("owner"),
                self.pid() + " " + self.info().startInstant().orElseThrow().toEpochMilli() + "\n");

        Path foreign = Files.createDirectories(root.resolve("ranna-process-" + UUID.randomUUID()));

        var workDirs = new WorkDirs(root, UUID.randomUUID().toString());
        workDirs.open();
        workDirs.reapStale();

        assertThat(dead.getParent()).doesNotExist();
        assertThat(live).isDirectory();
        assertThat(foreign).as("no owner file: unknown, kept").isDirectory();
        assertThat(workDirs.ownerOf(liveId)).isEqualTo(Cgroups.Owner.ALIVE);
        assertThat(workDirs.ownerOf(deadId)).isEqualTo(Cgroups.Owner.UNKNOWN);
        workDirs.close();
        assertThat(workDirs.base()).doesNotExist();
    }
}
