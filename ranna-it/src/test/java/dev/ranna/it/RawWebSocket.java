package dev.ranna.it;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.json.ClientCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A WebSocket client written on a plain {@link Socket}, frame by frame, so tests can send what no
 * well-behaved client library will: invalid UTF-8 in text frames, unmasked or reserved-bit frames,
 * broken fragmentation, oversized control frames. Not thread-safe; one reader.
 */
final class RawWebSocket implements AutoCloseable {
    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    private static final ClientCodec CODEC = ClientCodec.create();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int closeStatus = -1;
    private boolean eof;

    /** One frame as received. */
    record Frame(boolean fin, int opcode, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeStatus() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }
    }

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects and completes the handshake; fails unless the server answers 101. */
    static RawWebSocket connect(int port) throws IOException {
        return connect(port, null);
    }

    /**
     * Connects from {@code local} (any 127.x.y.z on Linux's loopback, so one test can be several clients
     * as the server's per-address limits see them) and completes the handshake.
     */
    static RawWebSocket connect(int port, java.net.@Nullable InetAddress local) throws IOException {
        Socket socket = new Socket();
        if (local != null) {
            socket.bind(new InetSocketAddress(local, 0));
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setTcpNoDelay(true);
        var ws = new RawWebSocket(socket);
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        String request = "GET /v1/ws HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        ws.out.write(request.getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        socket.setSoTimeout(10_000);
        String head = ws.readHead();
        if (!head.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(head));
        }
        return ws;
    }

    private String readHead() throws IOException {
        var head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed during the handshake: " + head);
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    // --- sending ---------------------------------------------------------------------------------

    void sendText(String text) throws IOException {
        frame(true, 0, TEXT, text.getBytes(StandardCharsets.UTF_8), true);
    }

    void frame(boolean fin, int opcode, byte[] payload) throws IOException {
        frame(fin, 0, opcode, payload, true);
    }

    /** Writes one frame exactly as described: {@code rsv} is the 3 reserved bits (0..7). */
    void frame(boolean fin, int rsv, int opcode, byte[] payload, boolean masked) throws IOException {
        out.write(header(fin, rsv, opcode, payload.length, masked));
        if (masked) {
            byte[] mask = new byte[4];
            ThreadLocalRandom.current().nextBytes(mask);
            out.write(mask);
            byte[] data = payload.clone();
            for (int i = 0; i < data.length; i++) {
                data[i] ^= mask[i & 3];
            }
            out.write(data);
        } else {
            out.write(payload);
        }
        out.flush();
    }

    /** Writes only a frame header announcing {@code length} bytes (for length-field attacks). */
    void header(boolean fin, int opcode, long length) throws IOException {
        out.write(header(fin, 0, opcode, length, true));
        out.write(new byte[4]);
        out.flush();
    }

    void raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    private static byte[] header(boolean fin, int rsv, int opcode, long length, boolean masked) {
        var h = new ByteArrayOutputStream();
        h.write((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf));
        int maskBit = masked ? 0x80 : 0;
        if (length >= 0 && length < 126) {
            h.write(maskBit | (int) length);
        } else if (length >= 0 && length <= 0xffff) {
            h.write(maskBit | 126);
            h.write((int) (length >>> 8) & 0xff);
            h.write((int) length & 0xff);
        } else {
            h.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                h.write((int) (length >>> shift) & 0xff);
            }
        }
        return h.toByteArray();
    }

    // --- receiving -------------------------------------------------------------------------------

    /** The next frame, or null if the connection ended or nothing came within {@code timeout}. */
    @Nullable
    Frame readFrame(Duration timeout) throws IOException {
        if (eof) {
            return null;
        }
        try {
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            int b0 = in.read();
            if (b0 < 0) {
                eof = true;
                return null;
            }
            socket.setSoTimeout(10_000);
            int b1 = in.readUnsignedByte();
            long length = b1 & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            if ((b1 & 0x80) != 0) {
                in.readInt(); // servers never mask; skip a mask if one came
            }
            if (length > 64L * 1024 * 1024) {
                throw new IOException("frame too large: " + length);
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            var frame = new Frame((b0 & 0x80) != 0, b0 & 0xf, payload);
            if (frame.opcode() == CLOSE) {
                closeStatus = frame.closeStatus();
            }
            return frame;
        } catch (SocketTimeoutException e) {
            return null;
        } catch (EOFException e) {
            eof = true;
            return null;
        } catch (IOException e) {
            // Connection reset by the server after its close frame.
            eof = true;
            return null;
        }
    }

    /**
     * The next protocol event, answering server pings on the way; null if the connection closed
     * (see {@link #closeStatus()}) or nothing came in time.
     */
    @Nullable
    Event nextEvent(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        var message = new ByteArrayOutputStream();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            Frame frame = readFrame(Duration.ofNanos(left));
            if (frame == null) {
                return null;
            }
            switch (frame.opcode()) {
                case PING:
                    frame(true, PONG, frame.payload());
                    continue;
                case PONG:
                    continue;
                case CLOSE:
                    return null;
                default:
                    message.write(frame.payload());
                    if (frame.fin()) {
                        return CODEC.decodeEvent(Contract.checkEvent(message.toString(StandardCharsets.UTF_8)));
                    }
            }
        }
    }

    /**
     * Waits for the server's close frame (or the end of the connection) and returns its status: the
     * close code, 1005 if the frame had none, -1 if the connection ended without a close frame, or 0
     * if it is still open after {@code timeout}. Events on the way are ignored.
     */
    int awaitClose(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (closeStatus < 0 && !eof) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return 0;
            }
            readFrame(Duration.ofNanos(left));
        }
        return closeStatus;
    }

    /** Whether the server closed its side (EOF seen, or a read now says so). */
    boolean isClosedByServer(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!eof) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            readFrame(Duration.ofNanos(left));
        }
        return true;
    }

    int closeStatus() {
        return closeStatus;
    }

    /** Drops the TCP connection without a close handshake (a client that vanishes). */
    void abort() {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            // gone already
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // gone already
        }
    }
}
