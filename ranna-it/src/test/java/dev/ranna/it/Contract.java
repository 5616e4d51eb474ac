package dev.ranna.it;

import dev.ranna.protocol.schema.ContractSchemas;

/**
 * The suites' check that whatever the server answers, hostile input and attacks included, is an event of
 * the published contract (ranna-protocol's JSON Schemas): an attack must be answered with a documented
 * ERROR, never with a malformed one.
 */
final class Contract {

    private Contract() {}

    /**
     * Returns {@code text} after checking it against the schema of its event code.
     *
     * @throws AssertionError naming the schema and the problems, with the message
     */
    static String checkEvent(String text) {
        ContractSchemas contract = ContractSchemas.get();
        String schema = contract.eventSchemaOf(text)
                .orElseThrow(() -> new AssertionError(
                        "the server sent a message that is no event of the contract: " + abbreviated(text)));
        var problems = contract.problems(schema, text);
        if (!problems.isEmpty()) {
            throw new AssertionError(
                    "the server sent an event that breaks " + schema + ": " + problems + " in " + abbreviated(text));
        }
        return text;
    }

    private static String abbreviated(String text) {
        return text.length() <= 400 ? text : text.substring(0, 400) + "... (" + text.length() + " chars)";
    }
}
