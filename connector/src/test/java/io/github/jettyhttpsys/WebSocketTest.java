package io.github.jettyhttpsys;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebSocket over HTTP.sys: the 101 goes out in opaque mode (F-144…F-150) and Jetty's WebSocket stack
 * runs over the request's byte stream. Jetty's WebSocket API on the server, Jetty's WebSocketClient
 * and java.net.http's WebSocket as clients; over http and https.
 */
public class WebSocketTest
{
    @TempDir
    Path dir;

    private Server server;
    private WebSocketClient client;
    private final BlockingQueue<String> serverEvents = new LinkedBlockingQueue<>();

    @AfterEach
    public void stop() throws Exception
    {
        if (client != null)
            client.stop();
        if (server != null)
            server.stop();
        if (HttpEmu.isAvailable())
            HttpEmu.clearCertificates();
        TestSupport.assertNothingLeaked();
    }

    /** Echoes every message; records how each session ended. */
    @org.eclipse.jetty.websocket.api.annotations.WebSocket
    public class Echo
    {
        @org.eclipse.jetty.websocket.api.annotations.OnWebSocketOpen
        public void onOpen(Session session)
        {
            serverEvents.add("open");
        }

        @org.eclipse.jetty.websocket.api.annotations.OnWebSocketMessage
        public void onText(Session session, String text)
        {
            if (text.equals("close-from-server"))
                session.close(StatusCode.NORMAL, "bye", Callback.NOOP);
            else
                session.sendText(text, Callback.NOOP);
        }

        @org.eclipse.jetty.websocket.api.annotations.OnWebSocketMessage
        public void onBinary(Session session, ByteBuffer payload, Callback callback)
        {
            session.sendBinary(payload, callback);
        }

        @org.eclipse.jetty.websocket.api.annotations.OnWebSocketClose
        public void onClose(int status, String reason)
        {
            serverEvents.add("close " + status);
        }

        @org.eclipse.jetty.websocket.api.annotations.OnWebSocketError
        public void onError(Throwable cause)
        {
            serverEvents.add("error " + cause.getClass().getSimpleName());
        }
    }

    private String start(boolean tls) throws Exception
    {
        int port = TestSupport.freePort();
        server = new Server();
        if (tls)
            TestTls.make(dir, "localhost").bind(port);
        HttpSysConnector connector = new HttpSysConnector(server, (tls ? "https" : "http") + "://127.0.0.1:" + port + "/");
        connector.setIdleTimeout(2000);
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, container ->
        {
            container.setMaxBinaryMessageSize(32 * 1024 * 1024);
            container.setMaxTextMessageSize(32 * 1024 * 1024);
            container.setIdleTimeout(java.time.Duration.ofSeconds(2));
            container.addMapping("/echo", (rq, rs, cb) -> new Echo());
        }));
        server.start();
        org.eclipse.jetty.client.HttpClient http = new org.eclipse.jetty.client.HttpClient();
        http.setSslContextFactory(new org.eclipse.jetty.util.ssl.SslContextFactory.Client(true));
        client = new WebSocketClient(http);
        client.setMaxBinaryMessageSize(32 * 1024 * 1024);
        client.setMaxTextMessageSize(32 * 1024 * 1024);
        client.start();
        return (tls ? "wss" : "ws") + "://127.0.0.1:" + port + "/echo";
    }

    /** The client side: messages received, and how it ended. */
    public static class ClientSocket implements org.eclipse.jetty.websocket.api.Session.Listener.AutoDemanding
    {
        final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        volatile Session session;

        @Override
        public void onWebSocketOpen(Session session)
        {
            this.session = session;
        }

        @Override
        public void onWebSocketText(String message)
        {
            received.add(message);
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback)
        {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            received.add(b);
            callback.succeed();
        }

        @Override
        public void onWebSocketPong(ByteBuffer payload)
        {
            received.add("pong:" + java.nio.charset.StandardCharsets.UTF_8.decode(payload));
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason)
        {
            closed.complete(statusCode);
        }

        @Override
        public void onWebSocketError(Throwable cause)
        {
            closed.complete(-1);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    public void echoOfTextAndBinaryFromOneByteToSixteenMebibytes(boolean tls) throws Exception
    {
        String uri = start(tls);
        ClientSocket socket = new ClientSocket();
        Session session = client.connect(socket, URI.create(uri)).get(10, TimeUnit.SECONDS);
        assertEquals("open", serverEvents.poll(10, TimeUnit.SECONDS));
        session.sendText("hello", Callback.NOOP);
        assertEquals("hello", socket.received.poll(10, TimeUnit.SECONDS));
        session.sendPing(ByteBuffer.wrap("ping-1".getBytes(java.nio.charset.StandardCharsets.UTF_8)), Callback.NOOP);
        assertEquals("pong:ping-1", socket.received.poll(10, TimeUnit.SECONDS)); // the server's pong
        for (int size : new int[]{1, 125, 126, 65535, 65536, 1 << 20, 16 << 20})
        {
            byte[] data = new byte[size];
            for (int i = 0; i < size; i++)
                data[i] = (byte)(i * 31 + size);
            session.sendBinary(ByteBuffer.wrap(data), Callback.NOOP);
            Object echoed = socket.received.poll(30, TimeUnit.SECONDS);
            assertNotNull(echoed, "no echo of " + size + " bytes");
            assertArrayEquals(data, (byte[])echoed, "echo of " + size + " bytes");
        }
        // a fragmented message
        session.sendPartialText("frag", false, Callback.NOOP);
        session.sendPartialText("mented", true, Callback.NOOP);
        assertEquals("fragmented", socket.received.poll(10, TimeUnit.SECONDS));
        // close from the client: the handshake both ways
        session.close(StatusCode.NORMAL, "done", Callback.NOOP);
        assertEquals(StatusCode.NORMAL, socket.closed.get(10, TimeUnit.SECONDS));
        assertEquals("close 1000", serverEvents.poll(10, TimeUnit.SECONDS));
    }

    @Test
    public void theServerClosesAndTheIdleTimeoutCloses() throws Exception
    {
        String uri = start(false);
        ClientSocket socket = new ClientSocket();
        Session session = client.connect(socket, URI.create(uri)).get(10, TimeUnit.SECONDS);
        session.sendText("close-from-server", Callback.NOOP);
        assertEquals(StatusCode.NORMAL, socket.closed.get(10, TimeUnit.SECONDS));
        assertEquals("open", serverEvents.poll(10, TimeUnit.SECONDS));
        assertEquals("close 1000", serverEvents.poll(10, TimeUnit.SECONDS));

        ClientSocket idle = new ClientSocket();
        client.connect(idle, URI.create(uri)).get(10, TimeUnit.SECONDS);
        assertEquals("open", serverEvents.poll(10, TimeUnit.SECONDS));
        // nothing sent: the server's idle timeout (2 s) ends it
        int status = idle.closed.get(15, TimeUnit.SECONDS);
        assertTrue(status == StatusCode.SHUTDOWN || status == StatusCode.NORMAL || status == -1, "status " + status);
        String end = serverEvents.poll(10, TimeUnit.SECONDS);
        assertTrue(end != null && (end.startsWith("close") || end.startsWith("error")), String.valueOf(end));
    }

    @Test
    public void aClientThatVanishesGivesTheServerItsCloseAtOnce() throws Exception
    {
        String uri = start(false);
        // a raw client: the upgrade by hand, then a reset
        URI u = URI.create(uri);
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", u.getPort()))
        {
            s.getOutputStream().write(("GET /echo HTTP/1.1\r\nHost: 127.0.0.1:" + u.getPort() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.setSoTimeout(10_000);
            byte[] head = new byte[4096];
            int n = s.getInputStream().read(head);
            String response = new String(head, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(response.startsWith("HTTP/1.1 101"), response);
            assertTrue(response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), response);
            assertTrue(response.toLowerCase().contains("connection: upgrade"), response);
            assertEquals("open", serverEvents.poll(10, TimeUnit.SECONDS));
            s.setSoLinger(true, 0);
        }
        long start = System.nanoTime();
        String end = serverEvents.poll(10, TimeUnit.SECONDS);
        assertTrue(end != null && (end.equals("close 1006") || end.startsWith("error")), String.valueOf(end));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1500, "the close came late: idle timeout, not the disconnect");
    }

    @Test
    public void javaNetHttpWebSocketAndManySockets() throws Exception
    {
        String uri = start(false);
        HttpClient http = HttpClient.newHttpClient();
        List<java.net.http.WebSocket> sockets = new ArrayList<>();
        List<CompletableFuture<String>> replies = new ArrayList<>();
        for (int i = 0; i < 200; i++)
        {
            CompletableFuture<String> reply = new CompletableFuture<>();
            replies.add(reply);
            java.net.http.WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(uri), new java.net.http.WebSocket.Listener()
            {
                @Override
                public CompletionStage<?> onText(java.net.http.WebSocket webSocket, CharSequence data, boolean last)
                {
                    reply.complete(data.toString());
                    return null;
                }
            }).get(20, TimeUnit.SECONDS);
            sockets.add(ws);
        }
        for (int i = 0; i < sockets.size(); i++)
            sockets.get(i).sendText("socket " + i, true);
        for (int i = 0; i < replies.size(); i++)
            assertEquals("socket " + i, replies.get(i).get(20, TimeUnit.SECONDS));
        for (java.net.http.WebSocket ws : sockets)
            ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int closes = 0;
        while (closes < sockets.size() && System.nanoTime() < deadline)
        {
            String e = serverEvents.poll(1, TimeUnit.SECONDS);
            if (e != null && e.startsWith("close"))
                closes++;
        }
        assertEquals(sockets.size(), closes);
    }

    /** The Servlet API's own upgrade: an echo protocol over the WebConnection's streams, blocking IO on its own thread. */
    public static class UpperCaseEcho implements jakarta.servlet.http.HttpUpgradeHandler
    {
        @Override
        public void init(jakarta.servlet.http.WebConnection connection)
        {
            Thread t = new Thread(() ->
            {
                try (java.io.InputStream in = connection.getInputStream(); java.io.OutputStream out = connection.getOutputStream())
                {
                    byte[] buf = new byte[8192];
                    for (int n; (n = in.read(buf)) >= 0; )
                    {
                        out.write(new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII).toUpperCase().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        out.flush();
                    }
                    connection.close();
                }
                catch (Exception x)
                {
                    // the client went away
                }
            }, "upper-case-echo");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void destroy()
        {
        }
    }

    @Test
    public void theServletApisOwnUpgradeTunnelsThroughTheRequest() throws Exception
    {
        int port = TestSupport.freePort();
        server = new Server();
        server.addConnector(new HttpSysConnector(server, "http://127.0.0.1:" + port + "/"));
        org.eclipse.jetty.ee10.servlet.ServletContextHandler context = new org.eclipse.jetty.ee10.servlet.ServletContextHandler();
        context.addServlet(new org.eclipse.jetty.ee10.servlet.ServletHolder(new jakarta.servlet.http.HttpServlet()
        {
            @Override
            protected void doGet(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp) throws java.io.IOException, jakarta.servlet.ServletException
            {
                if ("upper".equals(req.getHeader("Upgrade")))
                    req.upgrade(UpperCaseEcho.class);
                else
                    resp.sendError(400);
            }
        }), "/*");
        server.setHandler(context);
        server.start();
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            java.io.OutputStream out = s.getOutputStream();
            java.io.InputStream in = s.getInputStream();
            out.write(("GET /tunnel HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: upper\r\nConnection: Upgrade\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n"))
                head.append((char)in.read());
            assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
            out.write("hello tunnel".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            byte[] reply = new byte[12];
            int got = 0;
            while (got < reply.length)
            {
                int n = in.read(reply, got, reply.length - got);
                assertTrue(n > 0, "tunnel closed early");
                got += n;
            }
            assertEquals("HELLO TUNNEL", new String(reply, java.nio.charset.StandardCharsets.US_ASCII));
            s.shutdownOutput(); // EOF for the handler, which then closes
            assertEquals(-1, in.read());
        }
    }

    /** A jakarta.websocket endpoint (ee10), as a WAR would declare it. */
    @jakarta.websocket.server.ServerEndpoint("/jakarta")
    public static class JakartaEcho
    {
        @jakarta.websocket.OnMessage
        public String onMessage(String message)
        {
            return "jakarta:" + message;
        }
    }

    @Test
    public void aJakartaWebSocketEndpointInTheEe10Container() throws Exception
    {
        int port = TestSupport.freePort();
        server = new Server();
        server.addConnector(new HttpSysConnector(server, "http://127.0.0.1:" + port + "/"));
        org.eclipse.jetty.ee10.servlet.ServletContextHandler context = new org.eclipse.jetty.ee10.servlet.ServletContextHandler("/app");
        org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer.configure(context,
            (servletContext, container) -> container.addEndpoint(JakartaEcho.class));
        server.setHandler(context);
        server.start();
        CompletableFuture<String> reply = new CompletableFuture<>();
        java.net.http.WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/app/jakarta"), new java.net.http.WebSocket.Listener()
            {
                @Override
                public CompletionStage<?> onText(java.net.http.WebSocket webSocket, CharSequence data, boolean last)
                {
                    reply.complete(data.toString());
                    return null;
                }
            }).get(10, TimeUnit.SECONDS);
        ws.sendText("hi", true);
        assertEquals("jakarta:hi", reply.get(10, TimeUnit.SECONDS));
        ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
    }

    @Test
    public void aThousandConcurrentSockets() throws Exception
    {
        String uri = start(false);
        List<ClientSocket> sockets = new ArrayList<>();
        List<java.util.concurrent.Future<Session>> sessions = new ArrayList<>();
        for (int i = 0; i < 1000; i++)
        {
            ClientSocket socket = new ClientSocket();
            sockets.add(socket);
            sessions.add(client.connect(socket, URI.create(uri)));
        }
        for (int i = 0; i < sessions.size(); i++)
            sessions.get(i).get(30, TimeUnit.SECONDS).sendText("n" + i, Callback.NOOP);
        for (int i = 0; i < sockets.size(); i++)
            assertEquals("n" + i, sockets.get(i).received.poll(30, TimeUnit.SECONDS));
        for (ClientSocket socket : sockets)
            socket.session.close(StatusCode.NORMAL, null, Callback.NOOP);
        for (ClientSocket socket : sockets)
            assertEquals(StatusCode.NORMAL, socket.closed.get(30, TimeUnit.SECONDS));
    }

    @Test
    public void permessageDeflateAndAClientThatStopsMidMessage() throws Exception
    {
        String uri = start(false);
        ClientSocket socket = new ClientSocket();
        org.eclipse.jetty.websocket.client.ClientUpgradeRequest request = new org.eclipse.jetty.websocket.client.ClientUpgradeRequest();
        request.addExtensions("permessage-deflate");
        Session session = client.connect(socket, URI.create(uri), request).get(10, TimeUnit.SECONDS);
        assertEquals("open", serverEvents.poll(10, TimeUnit.SECONDS));
        assertTrue(session.getUpgradeResponse().getExtensions().stream().anyMatch(e -> e.getName().equals("permessage-deflate")),
            "permessage-deflate negotiated: " + session.getUpgradeResponse().getExtensions());
        String big = "compressible ".repeat(100_000);
        session.sendText(big, Callback.NOOP);
        assertEquals(big, socket.received.poll(20, TimeUnit.SECONDS));
        // half of a fragmented message, then the client's connection goes (FIN): the server hears of it
        session.sendPartialText("half of a mess", false, Callback.NOOP);
        Thread.sleep(100);
        session.disconnect();
        String end = serverEvents.poll(10, TimeUnit.SECONDS);
        assertTrue(end != null && (end.equals("close 1006") || end.startsWith("error")), String.valueOf(end));
    }

    @Test
    public void anUpgradeHttpSysCannotMakeIsRefusedWithAStatus() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: fault injection");
        String uri = start(false);
        // a Windows without opaque mode refuses the flag (F-144)
        HttpEmu.failNext("HttpSendHttpResponse", 1, io.github.jettyhttpsys.nativeapi.Layout.ERROR_INVALID_PARAMETER);
        java.util.concurrent.ExecutionException x = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
            () -> client.connect(new ClientSocket(), URI.create(uri)).get(10, TimeUnit.SECONDS));
        assertTrue(String.valueOf(x.getCause()).contains("501"), String.valueOf(x.getCause()));
        // the next one works
        ClientSocket socket = new ClientSocket();
        client.connect(socket, URI.create(uri)).get(10, TimeUnit.SECONDS).sendText("again", Callback.NOOP);
        assertEquals("again", socket.received.poll(10, TimeUnit.SECONDS));
    }

    /** The same sockets against Jetty's own ServerConnector, the oracle: the same messages, the same closes. */
    @Test
    public void theSameConversationAsJettysOwnConnector() throws Exception
    {
        List<String> results = new ArrayList<>();
        for (boolean httpSys : new boolean[]{false, true})
        {
            String uri;
            if (httpSys)
            {
                uri = start(false);
            }
            else
            {
                server = new Server();
                org.eclipse.jetty.server.ServerConnector jetty = new org.eclipse.jetty.server.ServerConnector(server);
                jetty.setHost("127.0.0.1");
                server.addConnector(jetty);
                server.setHandler(WebSocketUpgradeHandler.from(server, container -> container.addMapping("/echo", (rq, rs, cb) -> new Echo())));
                server.start();
                client = new WebSocketClient();
                client.start();
                uri = "ws://127.0.0.1:" + jetty.getLocalPort() + "/echo";
            }
            ClientSocket socket = new ClientSocket();
            Session session = client.connect(socket, URI.create(uri)).get(10, TimeUnit.SECONDS);
            StringBuilder seen = new StringBuilder(serverEvents.poll(10, TimeUnit.SECONDS));
            session.sendText("one", Callback.NOOP);
            seen.append('|').append(socket.received.poll(10, TimeUnit.SECONDS));
            session.sendBinary(ByteBuffer.wrap(new byte[]{1, 2, 3}), Callback.NOOP);
            seen.append('|').append(java.util.Arrays.toString((byte[])socket.received.poll(10, TimeUnit.SECONDS)));
            session.sendText("close-from-server", Callback.NOOP);
            seen.append('|').append(socket.closed.get(10, TimeUnit.SECONDS)).append('|').append(serverEvents.poll(10, TimeUnit.SECONDS));
            results.add(seen.toString());
            client.stop();
            client = null;
            server.stop();
            server = null;
        }
        assertEquals("open|one|[1, 2, 3]|1000|close 1000", results.get(0));
        assertEquals(results.get(0), results.get(1), "Jetty's own connector and HTTP.sys give the same conversation");
    }
}
