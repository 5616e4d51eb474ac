/**
 * The ranna engine: run lifecycle, nonce routing, limits and the spec map, independent of any transport
 * and of any sandbox.
 *
 * <p>A transport (the Netty server, or an embedder's own server) builds one {@link
 * dev.ranna.engine.RannaEngine}, opens one {@link dev.ranna.engine.EngineSession} per client connection
 * with an {@link dev.ranna.engine.EventSink} that writes events back, and hands it every decoded
 * message. REST-style callers use {@link dev.ranna.engine.RannaEngine#exec}.
 */
@NullMarked
package dev.ranna.engine;

import org.jspecify.annotations.NullMarked;
