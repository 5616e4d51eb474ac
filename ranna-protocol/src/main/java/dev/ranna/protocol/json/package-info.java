/**
 * The JSON codecs of the ranna protocol, one class per trust level and direction. Jackson is used here
 * and nowhere else in ranna.
 *
 * <ul>
 *   <li>Server side, untrusted input: {@link dev.ranna.protocol.json.OperationDecoder} (WebSocket
 *       operations) and {@link dev.ranna.protocol.json.RestRequestDecoder} (REST bodies). They never throw
 *       for bad input; a failure names the field and keeps the nonce.
 *   <li>Server side, output: {@link dev.ranna.protocol.json.EventEncoder} (the hot path of every run's
 *       output) and {@link dev.ranna.protocol.json.RestResponseEncoder}.
 *   <li>Client side, trusted: {@link dev.ranna.protocol.json.ClientCodec} encodes operations and requests
 *       and decodes events and responses.
 *   <li>Spec files, trusted: {@link dev.ranna.protocol.json.SpecMapReader} reads ranna's spec format, YAML
 *       or JSON, for an operator's file and for the sandboxes' default maps alike.
 * </ul>
 *
 * <p>Every class is immutable and thread-safe. Dispatch is by exhaustive switches over {@link
 * dev.ranna.protocol.OpCode} and {@link dev.ranna.protocol.EventCode}.
 */
@NullMarked
package dev.ranna.protocol.json;

import org.jspecify.annotations.NullMarked;
