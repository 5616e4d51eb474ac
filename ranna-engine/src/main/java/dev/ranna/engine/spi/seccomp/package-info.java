/**
 * ranna's system call policy ({@link dev.ranna.engine.spi.seccomp.SyscallPolicy}) and the system call
 * numbers it is rendered with ({@link dev.ranna.engine.spi.seccomp.SyscallTable}). Each sandbox renders
 * the one policy in its own form: a BPF program for bubblewrap, a seccomp profile for Docker.
 */
@NullMarked
package dev.ranna.engine.spi.seccomp;

import org.jspecify.annotations.NullMarked;
