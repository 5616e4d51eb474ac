/**
 * The transport-neutral end-to-end suite of ranna's API: extend {@link dev.ranna.api.tck.ApiWireSuite} in a
 * test of a transport (the Netty server, the Spring Boot starter) to check it on the wire.
 */
@NullMarked
package dev.ranna.api.tck;

import org.jspecify.annotations.NullMarked;
