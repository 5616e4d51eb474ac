/**
 * ranna in a Spring Boot servlet application: {@link dev.ranna.spring.RannaAutoConfiguration} builds a
 * {@link dev.ranna.engine.RannaEngine} from the {@code ranna.*} properties and serves ranna's WebSocket and
 * REST API on the application's own port.
 */
@NullMarked
package dev.ranna.spring;

import org.jspecify.annotations.NullMarked;
