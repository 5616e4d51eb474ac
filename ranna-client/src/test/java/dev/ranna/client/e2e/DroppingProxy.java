package dev.ranna.client.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on 127.0.0.1 in front of a server, whose {@link #drop()} resets every connection through it at
 * once (RST, no WebSocket close): a network failure as the client meets it.
 */
final class DroppingProxy implements AutoCloseable {
    private final ServerSocket listening;
    private final int target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    DroppingProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listening.getLocalPort();
    }

    private void accept() {
        try {
            while (true) {
                Socket client = listening.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(server);
                pump(client, server);
                pump(server, client);
            }
        } catch (IOException e) {
            // Closed.
        }
    }

    private static void pump(Socket from, Socket to) {
        var thread = new Thread(
                () -> {
                    byte[] buffer = new byte[16 * 1024];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        int n;
                        while ((n = in.read(buffer)) >= 0) {
                            out.write(buffer, 0, n);
                            out.flush();
                        }
                    } catch (IOException e) {
                        // Dropped.
                    }
                },
                "proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Resets every connection through the proxy. A side its pump already closed (the other end went
     * first) is skipped: there is nothing left to reset.
     */
    void drop() throws IOException {
        for (Socket socket : sockets) {
            try {
                socket.setSoLinger(true, 0);
                socket.close();
            } catch (SocketException e) {
                if (!socket.isClosed()) {
                    throw e;
                }
            }
        }
        sockets.clear();
    }

    @Override
    public void close() throws IOException {
        listening.close();
        drop();
    }
}
