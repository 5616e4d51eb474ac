/**
 * The browser playground: a page, its own script and style, and the WebJar files it uses, served by the
 * standalone server and the Spring Boot starter from {@link dev.ranna.playground.PlaygroundAssets}.
 */
@NullMarked
package dev.ranna.playground;

import org.jspecify.annotations.NullMarked;
