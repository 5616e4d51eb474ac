package dev.ranna.sandbox.docker;

import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.json.SpecMapReader;

/**
 * The spec map offered when the operator configures none: ranna's shipped languages on current official
 * images. The languages are data, {@value #RESOURCE} beside this class in ranna's spec file format, read
 * by the same parser as an operator's spec file.
 */
final class DefaultSpecs {

    /** The resource that holds the default languages. */
    static final String RESOURCE = "default-specs.yaml";

    private DefaultSpecs() {}

    /** Read once, on first use. */
    private static final class Holder {
        static final SpecMap MAP = SpecMapReader.create().readResource(DefaultSpecs.class, RESOURCE);

        private Holder() {}
    }

    /** The default languages, in the resource's order. */
    static SpecMap map() {
        return Holder.MAP;
    }
}
