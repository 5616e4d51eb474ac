/**
 * The ranna wire model: operations a client sends, events the server sends, and the REST models.
 *
 * <p>Everything here is an immutable value with no I/O and no JSON library in sight; the codecs
 * live in {@link dev.ranna.protocol.json}. All types are safe to share between threads. Components
 * are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.ranna.protocol;

import org.jspecify.annotations.NullMarked;
