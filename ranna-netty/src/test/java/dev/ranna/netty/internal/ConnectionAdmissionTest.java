package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.netty.ServerOptions;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionAdmissionTest {
    private final FakeEngine engine = new FakeEngine();

    @Test
    void eachAddressGetsItsCapAndTheServerItsTotalAndClosingGivesPlacesBack() {
        var context = TestContexts.context(
                engine,
                ServerOptions.builder()
                        .maxConnectionsPerAddress(2)
                        .maxConnections(3)
                        .build());
        List<EmbeddedChannel> open = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            EmbeddedChannel channel = TestContexts.channelFrom("192.0.2.1");
            assertThat(context.admit(channel)).isNull();
            open.add(channel);
        }
        EmbeddedChannel third = TestContexts.channelFrom("192.0.2.1");
        assertThat(context.admit(third)).contains("192.0.2.1").contains("api.maxconnectionsperclient");

        EmbeddedChannel other = TestContexts.channelFrom("198.51.100.2");
        assertThat(context.admit(other)).as("another address").isNull();
        assertThat(context.admit(TestContexts.channelFrom("203.0.113.3")))
                .as("server-wide cap of 3")
                .contains("api.maxconnections");
        assertThat(context.connections()).isEqualTo(3);

        open.get(0).close();
        assertThat(context.connections()).isEqualTo(2);
        assertThat(context.connectionsOf("192.0.2.1")).isEqualTo(1);
        assertThat(context.admit(TestContexts.channelFrom("192.0.2.1"))).isNull();
    }

    @Test
    void ipv6NeighboursInOneSlash64ShareTheirAddressCap() {
        var context = TestContexts.context(
                engine, ServerOptions.builder().maxConnectionsPerAddress(1).build());

        assertThat(context.admit(TestContexts.channelFrom("2001:db8:1:2::1"))).isNull();
        assertThat(context.admit(TestContexts.channelFrom("2001:db8:1:2::2"))).isNotNull();
        assertThat(context.admit(TestContexts.channelFrom("2001:db8:1:3::1"))).isNull();
    }

    @Test
    void trustedProxiesAreCountedServerWideOnly() {
        var context = TestContexts.context(
                engine,
                ServerOptions.builder()
                        .maxConnectionsPerAddress(1)
                        .trustedProxies(List.of("10.0.0.1"))
                        .build());

        for (int i = 0; i < 5; i++) {
            assertThat(context.admit(TestContexts.channelFrom("10.0.0.1"))).isNull();
        }
        assertThat(context.connections()).isEqualTo(5);
    }
}
