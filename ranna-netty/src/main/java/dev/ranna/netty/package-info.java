/**
 * The ranna WebSocket and REST server on Netty: {@link dev.ranna.netty.RannaServer} to embed one in a JVM
 * program, {@link dev.ranna.netty.Main} to run it standalone.
 */
@NullMarked
package dev.ranna.netty;

import org.jspecify.annotations.NullMarked;
