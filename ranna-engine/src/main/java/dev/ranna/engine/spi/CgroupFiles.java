package dev.ranna.engine.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reading cgroup accounting files (v1 and v2), for sandboxes that report a run's resource usage. A file
 * that cannot be read or parsed gives {@code -1}, so a caller reports usage as absent rather than wrong.
 *
 * <p>Stateless and thread-safe.
 */
public final class CgroupFiles {
    private static final Logger log = LoggerFactory.getLogger(CgroupFiles.class);

    private CgroupFiles() {}

    /** The single number in {@code file} (e.g. {@code memory.peak}, {@code cpuacct.usage}), or -1. */
    public static long number(Path file) {
        try {
            return Long.parseLong(Files.readString(file).trim());
        } catch (IOException | NumberFormatException e) {
            log.debug("cannot read {}: {}", file, e.toString());
            return -1;
        }
    }

    /**
     * The value of {@code key} in a flat-keyed file ({@code cpu.stat}, {@code memory.events},
     * {@code memory.oom_control}), or -1 if the key is absent or the file unreadable.
     */
    public static long keyed(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[0].equals(key)) {
                    return Long.parseLong(parts[1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            log.debug("cannot read {}: {}", file, e.toString());
        }
        return -1;
    }
}
