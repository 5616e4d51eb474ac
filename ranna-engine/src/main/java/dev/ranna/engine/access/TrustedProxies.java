package dev.ranna.engine.access;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * ranna's {@code api.trustedproxies}: the peers whose {@code X-Forwarded-For} is believed, as addresses
 * or CIDR ranges, and the rule that turns a request into the client address that keys the rate limit.
 *
 * <p>Immutable and thread-safe. Parsing never resolves host names.
 */
public final class TrustedProxies {

    /** Trusts nobody: the client address is always the socket's peer. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of(), 128);

    private final List<Range> ranges;
    private final int ipv6PrefixLength;

    private TrustedProxies(List<Range> ranges, int ipv6PrefixLength) {
        this.ranges = List.copyOf(ranges);
        this.ipv6PrefixLength = ipv6PrefixLength;
    }

    /**
     * These proxies, keying IPv6 clients by their first {@code prefixLength} bits ({@code
     * 2001:db8:1:2::/64}): one host, or one home network, usually holds a whole /64, so keying by the full
     * address would let it open as many connections and runs as it has addresses.
     *
     * @throws IllegalArgumentException if {@code prefixLength} is not 1..128
     */
    public TrustedProxies withIpv6PrefixLength(int prefixLength) {
        if (prefixLength < 1 || prefixLength > 128) {
            throw new IllegalArgumentException("ipv6PrefixLength must be 1..128: " + prefixLength);
        }
        return new TrustedProxies(ranges, prefixLength);
    }

    /**
     * The client key of a connection's peer before any request is read, or null when the peer is a
     * trusted proxy (whose connections carry many clients, told apart only by their requests).
     */
    public @Nullable String peerKey(SocketAddress peer) {
        if (peer instanceof InetSocketAddress) {
            InetAddress address = ((InetSocketAddress) peer).getAddress();
            if (address != null) {
                return contains(address) ? null : format(address);
            }
        }
        return String.valueOf(peer);
    }

    /**
     * Parses addresses ({@code 10.0.0.1}, {@code ::1}) and CIDR ranges ({@code 10.0.0.0/8}).
     *
     * @throws IllegalArgumentException naming the entry, if one is neither
     */
    public static TrustedProxies parse(List<String> entries) {
        var ranges = new ArrayList<Range>();
        for (String raw : entries) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            String address = entry;
            int prefix = -1;
            int slash = entry.indexOf('/');
            if (slash >= 0) {
                address = entry.substring(0, slash);
                try {
                    prefix = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "trusted proxy '" + raw + "': expected an address or a CIDR range like 10.0.0.0/8", e);
                }
            }
            byte[] bytes = IpLiterals.parse(address);
            if (bytes == null) {
                throw new IllegalArgumentException(
                        "trusted proxy '" + raw + "': expected an IP address or a CIDR range like 10.0.0.0/8");
            }
            int bits = bytes.length * 8;
            if (prefix == -1) {
                prefix = bits;
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException(
                        "trusted proxy '" + raw + "': prefix length must be 0.." + bits + ", got " + prefix);
            }
            ranges.add(new Range(bytes, prefix));
        }
        return new TrustedProxies(ranges, 128);
    }

    /** Whether nobody is trusted. */
    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** Whether {@code address} is a trusted proxy. */
    public boolean contains(InetAddress address) {
        byte[] bytes = normalize(address.getAddress());
        for (Range range : ranges) {
            if (range.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client address of a request: the socket's peer, unless the peer is a trusted proxy; then the
     * right-most {@code X-Forwarded-For} entry that is not itself a trusted proxy (the left-most entry if
     * all are). An entry that is not an IP address ends the walk at the last good one.
     *
     * @param peer the socket's remote address
     * @param forwardedFor every {@code X-Forwarded-For} header value, in order
     */
    public String clientAddress(SocketAddress peer, List<String> forwardedFor) {
        if (!(peer instanceof InetSocketAddress)) {
            return String.valueOf(peer);
        }
        InetSocketAddress socket = (InetSocketAddress) peer;
        InetAddress candidate = socket.getAddress();
        if (candidate == null) {
            return socket.getHostString();
        }
        if (ranges.isEmpty() || !contains(candidate) || forwardedFor.isEmpty()) {
            return format(candidate);
        }
        var hops = new ArrayList<String>();
        for (String value : forwardedFor) {
            for (String part : value.split(",", -1)) {
                hops.add(part.trim());
            }
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = parseHop(hops.get(i));
            if (hop == null) {
                break;
            }
            candidate = hop;
            if (!contains(hop)) {
                break;
            }
        }
        return format(candidate);
    }

    private static @Nullable InetAddress parseHop(String hop) {
        String text = hop;
        // "[2001:db8::1]:443" and "203.0.113.7:5000" appear in the wild; the port is not part of the client.
        if (text.startsWith("[")) {
            int end = text.indexOf(']');
            if (end < 0) {
                return null;
            }
            text = text.substring(1, end);
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            text = text.substring(0, text.indexOf(':'));
        }
        byte[] bytes = IpLiterals.parse(text);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /** The client key of an address: IPv4 as is, IPv6 masked to the prefix (with a "/n" suffix below 128). */
    private String format(InetAddress address) {
        byte[] bytes = normalize(address.getAddress());
        if (bytes.length != 16 || ipv6PrefixLength >= 128) {
            return IpLiterals.format(bytes);
        }
        byte[] masked = bytes.clone();
        for (int bit = ipv6PrefixLength; bit < 128; bit++) {
            masked[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return IpLiterals.format(masked) + "/" + ipv6PrefixLength;
    }

    /** IPv4-mapped IPv6 addresses ({@code ::ffff:10.0.0.1}) compare as the IPv4 address. */
    private static byte[] normalize(byte[] bytes) {
        if (bytes.length == 16) {
            boolean mapped = bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = bytes[i] == 0;
            }
            if (mapped) {
                return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
            }
        }
        return bytes;
    }

    @Override
    public String toString() {
        return "TrustedProxies" + ranges;
    }

    private static final class Range {
        private final byte[] network;
        private final int prefix;

        Range(byte[] network, int prefix) {
            this.network = normalize(network);
            this.prefix = network.length == 16 && this.network.length == 4 ? Math.max(0, prefix - 96) : prefix;
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }

        @Override
        public String toString() {
            return IpLiterals.format(network) + "/" + prefix;
        }
    }
}
