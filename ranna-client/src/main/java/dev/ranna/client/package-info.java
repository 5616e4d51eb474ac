/**
 * A typed client for ranna servers (this project's, and ranna's own Go server): the REST API through
 * {@link dev.ranna.client.RannaClient} and the WebSocket API through {@link dev.ranna.client.RannaConnection}
 * and its runs, {@link dev.ranna.client.RannaRun}.
 *
 * <pre>{@code
 * RannaClient client = RannaClient.builder().baseUri("http://localhost:8080").build();
 * try (RannaConnection connection = client.connect()) {
 *     RannaRun run = connection.exec(ExecutionRequest.of("python3", "print('hi')"));
 *     run.events().forEach(System.out::println);
 *     RunResult result = run.await();
 * }
 * }</pre>
 *
 * <p>Built on {@code java.net.http} and ranna-protocol's records and {@code ClientCodec}; no other
 * dependency. Every type documents which thread calls it and what blocks. Failures are {@link
 * dev.ranna.client.RannaException}s (unchecked) carrying the server's code and message; a connection that
 * could not be opened or was lost is a {@link dev.ranna.client.RannaConnectionException}.
 */
@NullMarked
package dev.ranna.client;

import org.jspecify.annotations.NullMarked;
