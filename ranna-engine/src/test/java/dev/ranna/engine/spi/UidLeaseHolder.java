package dev.ranna.engine.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A second JVM for {@link UidLeasesTest}: takes {@code n} leases from {@code dir base count}, prints each
 * uid on a line, then "ready", and holds them until stdin closes (or it is killed).
 */
public final class UidLeaseHolder {
    private UidLeaseHolder() {}

    public static void main(String[] args) throws IOException {
        UidLeases leases = UidLeases.open(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        int n = Integer.parseInt(args[3]);
        for (int i = 0; i < n; i++) {
            UidLeases.Lease lease = leases.acquire();
            System.out.println(lease == null ? "none" : Integer.toString(lease.uid()));
        }
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // Hold until the test closes our stdin.
        }
    }
}
