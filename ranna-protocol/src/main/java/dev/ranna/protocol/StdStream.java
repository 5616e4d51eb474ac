package dev.ranna.protocol;

/** The two output streams of a run, named as on the wire. */
public enum StdStream {
    /** The program's standard output, field {@code "stdout"}. */
    STDOUT("stdout"),
    /** The program's standard error, field {@code "stderr"}. */
    STDERR("stderr");

    private final String wireName;

    StdStream(String wireName) {
        this.wireName = wireName;
    }

    /** The JSON field name of this stream. */
    public String wireName() {
        return wireName;
    }
}
