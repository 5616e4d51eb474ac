package dev.ranna.netty.internal;

import dev.ranna.netty.ServerOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Builds contexts and channels for handler tests. */
final class TestContexts {
    private TestContexts() {}

    static ServerContext context(FakeEngine engine, ServerOptions options) {
        return new ServerContext(
                engine, options, new SimpleMeterRegistry(), () -> "# metrics\n", new BuildInfo("9.9", "2026-01-01"));
    }

    /** An embedded channel whose peer is {@code peer}, so client-address rules can be tested. */
    static EmbeddedChannel channelFrom(String peer, io.netty.channel.ChannelHandler... handlers) {
        var address = new InetSocketAddress(peer, 40000);
        return new EmbeddedChannel(handlers) {
            @Override
            protected SocketAddress remoteAddress0() {
                return address;
            }
        };
    }
}
