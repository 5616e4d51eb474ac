package dev.ranna.protocol;

import java.util.Optional;

/**
 * The stage of a run of a spec with a compile stage, named as on the wire: LOG's and STOP's {@code
 * "stage"} (feature {@code "compile"}). Runs of a spec without a compile stage carry no stage at all.
 */
public enum Stage {
    /** The spec's compile command, {@code "compile"}. */
    COMPILE("compile"),
    /** The program itself, {@code "run"}. */
    RUN("run");

    private final String wireName;

    Stage(String wireName) {
        this.wireName = wireName;
    }

    /** The JSON value of this stage. */
    public String wireName() {
        return wireName;
    }

    /** The stage named {@code wireName} on the wire, if any. */
    public static Optional<Stage> fromWireName(String wireName) {
        for (Stage stage : values()) {
            if (stage.wireName.equals(wireName)) {
                return Optional.of(stage);
            }
        }
        return Optional.empty();
    }
}
