package dev.ranna.bench;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.json.ClientCodec;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;

/**
 * The latency rows' client: one blocking socket, driven by the thread that times the run, so the client
 * adds no thread hand-off of its own (a {@code java.net.http} round trip passes its selector thread and
 * its executor, each a wake-up of 0.2-0.5 ms on this VM once idle). Either a WebSocket ({@link
 * #webSocket}: EXEC, then frames until that nonce's STOP) or a keep-alive HTTP/1.1 connection ({@link
 * #rest}: {@code POST /v1/exec}). Every message is decoded with the protocol's {@link ClientCodec}. For
 * small messages only (no fragments, no compression); not thread-safe.
 */
final class BlockingClient implements Closeable {
    private static final ClientCodec CODEC = ClientCodec.create();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final int port;
    private long nextNonce = 1;

    private BlockingClient(int port) throws IOException {
        this.port = port;
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
        socket.setSoTimeout(60_000);
        in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 65536));
        out = socket.getOutputStream();
    }

    /** A WebSocket to {@code /v1/ws}, handshake done. */
    static BlockingClient webSocket(int port) throws IOException {
        var client = new BlockingClient(port);
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        client.out.write(("GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Key: "
                        + Base64.getEncoder().encodeToString(key)
                        + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        client.out.flush();
        String status = client.readLine();
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new IOException("WebSocket handshake refused: " + status);
        }
        while (!client.readLine().isEmpty()) {
            // headers
        }
        return client;
    }

    /** A keep-alive HTTP/1.1 connection for {@link #restExec}. */
    static BlockingClient rest(int port) throws IOException {
        return new BlockingClient(port);
    }

    /** The result of one run as this client saw it. */
    record Result(String stdout, Event.Stop stop, long nanos) {}

    /** EXEC over the WebSocket; returns at the run's STOP, timed from before the EXEC was written. */
    Result wsExec(String language, String code) throws IOException {
        long nonce = nextNonce++;
        byte[] exec = CODEC.encode(new Operation.Exec(Nonce.of(nonce), ExecutionRequest.of(language, code)))
                .getBytes(StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        writeFrame(0x1, exec);
        var stdout = new StringBuilder();
        while (true) {
            Event event = CODEC.decodeEvent(readMessage());
            if (!event.nonce().equals(Nonce.of(nonce))) {
                continue;
            }
            switch (event.eventCode()) {
                case LOG:
                    var log = (Event.Log) event;
                    if (log.stream() == dev.ranna.protocol.StdStream.STDOUT) {
                        stdout.append(log.text());
                    }
                    break;
                case STOP:
                    return new Result(stdout.toString(), (Event.Stop) event, System.nanoTime() - t0);
                case ERROR:
                    throw new IOException("ERROR " + ((Event.Error) event).message());
                default:
                    break;
            }
        }
    }

    /** PING to PONG over the WebSocket, timed. */
    long wsPing() throws IOException {
        long t0 = System.nanoTime();
        writeFrame(0x1, "{\"op\":0}".getBytes(StandardCharsets.US_ASCII));
        while (CODEC.decodeEvent(readMessage()).eventCode() != dev.ranna.protocol.EventCode.PONG) {
            // not ours
        }
        return System.nanoTime() - t0;
    }

    /** The answer to one {@code POST /v1/exec}: its status, body and time from writing the request. */
    record RestResult(int status, String body, long nanos) {
        ExecutionResponse response() {
            return CODEC.decodeExecutionResponse(body);
        }
    }

    /** {@code POST /v1/exec} on the keep-alive connection. */
    RestResult restExec(String language, String code) throws IOException {
        byte[] body = CODEC.encode(ExecutionRequest.of(language, code)).getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST /v1/exec HTTP/1.1\r\nHost: 127.0.0.1:" + port
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[head.length + body.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        long t0 = System.nanoTime();
        out.write(request);
        out.flush();
        String status = readLine();
        int length = -1;
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon > 0
                    && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                length = Integer.parseInt(line.substring(colon + 1).trim());
            }
        }
        if (length < 0) {
            throw new IOException("no Content-Length in the answer: " + status);
        }
        byte[] answer = new byte[length];
        in.readFully(answer);
        long nanos = System.nanoTime() - t0;
        return new RestResult(
                Integer.parseInt(status.split(" ")[1]), new String(answer, StandardCharsets.UTF_8), nanos);
    }

    private void writeFrame(int opcode, byte[] payload) throws IOException {
        var frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write(0x80 | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift));
            }
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        frame.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i & 3]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    /** The next text message; control frames are skipped, continuations joined. */
    private String readMessage() throws IOException {
        var message = new ByteArrayOutputStream();
        while (true) {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            long length = b1 & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] payload = new byte[Math.toIntExact(length)];
            in.readFully(payload);
            int opcode = b0 & 0x0f;
            if (opcode == 0x8) {
                throw new EOFException("the server closed the WebSocket");
            }
            if (opcode >= 0x8) {
                continue;
            }
            message.writeBytes(payload);
            if ((b0 & 0x80) != 0) {
                return message.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private String readLine() throws IOException {
        var line = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed");
            }
            if (c == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) c);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
