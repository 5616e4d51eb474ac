/**
 * Who may use a ranna API and how much of it, independent of the transport: access tokens, CORS and
 * WebSocket origin rules ({@link dev.ranna.engine.access.AccessPolicy}), client addresses behind trusted
 * proxies ({@link dev.ranna.engine.access.TrustedProxies}), per-client connection caps ({@link
 * dev.ranna.engine.access.ConnectionLimiter}) and the configuration keys of all of it ({@link
 * dev.ranna.engine.access.ApiKeys}). The Netty server and the Spring Boot starter share these.
 */
@NullMarked
package dev.ranna.engine.access;

import org.jspecify.annotations.NullMarked;
