package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
    private static InetSocketAddress peer(String ip) {
        return new InetSocketAddress(ip, 1234);
    }

    @Test
    void untrustedPeerIsTheClientWhateverItForwards() {
        var proxies = TrustedProxies.parse(List.of("10.0.0.1"));

        assertThat(proxies.clientAddress(peer("192.0.2.1"), List.of("203.0.113.9")))
                .isEqualTo("192.0.2.1");
        assertThat(TrustedProxies.NONE.clientAddress(peer("192.0.2.1"), List.of("203.0.113.9")))
                .isEqualTo("192.0.2.1");
    }

    @Test
    void trustedPeerYieldsTheRightmostUntrustedHop() {
        var proxies = TrustedProxies.parse(List.of("10.0.0.0/8", "::1"));

        assertThat(proxies.clientAddress(peer("10.1.2.3"), List.of("198.51.100.1, 203.0.113.9, 10.0.0.5")))
                .as("a client cannot spoof by prepending")
                .isEqualTo("203.0.113.9");
        assertThat(proxies.clientAddress(peer("::1"), List.of("203.0.113.9", "10.0.0.7")))
                .isEqualTo("203.0.113.9");
        assertThat(proxies.clientAddress(peer("10.1.2.3"), List.of("10.0.0.9, 10.0.0.8")))
                .isEqualTo("10.0.0.9");
        assertThat(proxies.clientAddress(peer("10.1.2.3"), List.of())).isEqualTo("10.1.2.3");
        assertThat(proxies.clientAddress(peer("10.1.2.3"), List.of("[2001:db8::1]:443")))
                .isEqualTo("2001:db8::1");
        assertThat(proxies.clientAddress(peer("10.1.2.3"), List.of("garbage, 203.0.113.4:5000")))
                .isEqualTo("203.0.113.4");
    }

    @Test
    void ipv4MappedPeersMatchIpv4Ranges() {
        var proxies = TrustedProxies.parse(List.of("127.0.0.1"));

        assertThat(proxies.clientAddress(peer("::ffff:127.0.0.1"), List.of("203.0.113.9")))
                .isEqualTo("203.0.113.9");
    }

    @Test
    void invalidEntriesAreRejectedByName() {
        assertThatThrownBy(() -> TrustedProxies.parse(List.of("proxy.example")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("proxy.example");
        assertThatThrownBy(() -> TrustedProxies.parse(List.of("10.0.0.0/33")))
                .hasMessageContaining("prefix length must be 0..32");
    }
}
