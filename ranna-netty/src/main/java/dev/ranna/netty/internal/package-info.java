/**
 * The Netty pipeline and standalone configuration behind {@link dev.ranna.netty.RannaServer} and {@link
 * dev.ranna.netty.Main}. <b>Not API</b>: anything here may change without notice.
 */
@NullMarked
package dev.ranna.netty.internal;

import org.jspecify.annotations.NullMarked;
