package dev.ranna.engine.access;

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

    @Test
    void ipv6ClientsAreKeyedByTheirSlash64AndIpv4ByTheAddress() {
        var proxies = TrustedProxies.parse(List.of("10.0.0.1")).withIpv6PrefixLength(64);

        String a = proxies.clientAddress(peer("2001:db8:1:2:aaaa::1"), List.of());
        String b = proxies.clientAddress(peer("2001:db8:1:2:ffff:1:2:3"), List.of());
        String other = proxies.clientAddress(peer("2001:db8:1:3::1"), List.of());

        assertThat(a).isEqualTo("2001:db8:1:2::/64").isEqualTo(b);
        assertThat(other).isEqualTo("2001:db8:1:3::/64");
        assertThat(proxies.clientAddress(peer("192.0.2.1"), List.of())).isEqualTo("192.0.2.1");
        assertThat(proxies.clientAddress(peer("10.0.0.1"), List.of("2001:db8:9:9::5")))
                .as("a forwarded IPv6 client too")
                .isEqualTo("2001:db8:9:9::/64");
        assertThat(proxies.withIpv6PrefixLength(128).clientAddress(peer("2001:db8:1:2::1"), List.of()))
                .isEqualTo("2001:db8:1:2::1");
        assertThat(proxies.withIpv6PrefixLength(56).clientAddress(peer("2001:db8:1:2ff::1"), List.of()))
                .isEqualTo("2001:db8:1:200::/56");
        assertThatThrownBy(() -> proxies.withIpv6PrefixLength(0)).hasMessageContaining("1..128");
    }

    @Test
    void peerKeyIsNullForATrustedProxyWhoseConnectionsCarryManyClients() {
        var proxies = TrustedProxies.parse(List.of("10.0.0.0/8")).withIpv6PrefixLength(64);

        assertThat(proxies.peerKey(peer("10.1.2.3"))).isNull();
        assertThat(proxies.peerKey(peer("192.0.2.7"))).isEqualTo("192.0.2.7");
        assertThat(proxies.peerKey(peer("2001:db8::7"))).isEqualTo("2001:db8::/64");
    }
}
