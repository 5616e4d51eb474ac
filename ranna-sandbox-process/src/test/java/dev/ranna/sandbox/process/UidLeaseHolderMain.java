package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.UidLeases;
import java.io.IOException;
import java.nio.file.Path;

/**
 * "Another server on this host" for the identity tests: a second JVM that leases {@code n} uids from
 * {@code dir base count}, prints each on a line, then "ready", and holds them until stdin closes or it dies.
 */
public final class UidLeaseHolderMain {
    private UidLeaseHolderMain() {}

    public static void main(String[] args) throws IOException {
        UidLeases leases = UidLeases.open(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        for (int i = 0; i < Integer.parseInt(args[3]); i++) {
            UidLeases.Lease lease = leases.acquire();
            System.out.println(lease == null ? "none" : Integer.toString(lease.uid()));
        }
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // Hold the leases until the test closes stdin.
        }
    }
}
