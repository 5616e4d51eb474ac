/**
 * The one JSON codec of the ranna protocol, {@link dev.ranna.protocol.json.ProtocolCodec}. Jackson is
 * used here and nowhere else in the protocol module.
 */
@NullMarked
package dev.ranna.protocol.json;

import org.jspecify.annotations.NullMarked;
