package io.github.jettyhttpsys;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests and responses through {@link HttpSysConnector} on the emulator, with Jetty core handlers.
 */
public class HttpSysConnectorTest
{
    private Server server;
    private HttpSysConnector connector;
    private HttpClient client;
    private int port;

    private void start(Handler handler) throws Exception
    {
        start(handler, new HttpConfiguration());
    }

    private void start(Handler handler, HttpConfiguration config) throws Exception
    {
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, config, "http://127.0.0.1:" + port + "/");
        connector.setMaxRequestBodySize(1 << 20);
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
        client = new HttpClient();
        client.start();
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (client != null)
            client.stop();
        if (server != null)
            server.stop();
        TestSupport.assertNothingLeaked();
    }

    private String url(String path)
    {
        return "http://127.0.0.1:" + port + path;
    }

    @Test
    public void getOnKeepAliveConnectionsWithHeadersAndAddresses() throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.getHeaders().put("X-Method", request.getMethod());
                response.getHeaders().put("X-Uri", request.getHttpURI().getPathQuery());
                response.getHeaders().put("X-Remote", Request.getRemoteAddr(request));
                response.getHeaders().put("X-Server", Request.getServerName(request) + ":" + Request.getServerPort(request));
                response.getHeaders().put("X-Agents", String.join("|", request.getHeaders().getValuesList("X-Multi")));
                response.getHeaders().add("Set-Cookie", "a=1");
                response.getHeaders().add("Set-Cookie", "b=2");
                response.getHeaders().put("X-Conn", request.getConnectionMetaData().getId());
                Content.Sink.write(response, true, "hello " + request.getHttpURI().getPath(), callback);
                return true;
            }
        });
        long before = HttpEmu.isAvailable() ? HttpEmu.callCount("HttpReceiveHttpRequest") + HttpEmu.callCount("HttpSendHttpResponse") : 0;
        ContentResponse r1 = client.newRequest(url("/a/b?x=1&y=%20")).headers(h -> h.add("X-Multi", "one").add("X-Multi", "two")).send();
        assertEquals(200, r1.getStatus());
        assertEquals("hello /a/b", r1.getContentAsString());
        assertEquals("GET", r1.getHeaders().get("X-Method"));
        assertEquals("/a/b?x=1&y=%20", r1.getHeaders().get("X-Uri"));
        assertEquals("127.0.0.1", r1.getHeaders().get("X-Remote"));
        assertEquals("127.0.0.1:" + port, r1.getHeaders().get("X-Server"));
        assertEquals(List.of("a=1", "b=2"), r1.getHeaders().getValuesList(HttpHeader.SET_COOKIE));
        assertEquals("Microsoft-HTTPAPI/2.0", r1.getHeaders().get(HttpHeader.SERVER));
        assertEquals(1, r1.getHeaders().getValuesList(HttpHeader.DATE).size());
        ContentResponse r2 = client.newRequest(url("/c")).method("PROPFIND").send();
        assertEquals("PROPFIND", r2.getHeaders().get("X-Method"));
        ContentResponse r3 = client.newRequest(url("/d")).method("FROBNICATE").send();
        assertEquals("FROBNICATE", r3.getHeaders().get("X-Method"));
        assertEquals(r1.getHeaders().get("X-Conn"), r3.getHeaders().get("X-Conn"), "keep-alive reuses the HTTP.sys connection");
        ContentResponse head = client.newRequest(url("/h")).method(HttpMethod.HEAD).send();
        assertEquals(200, head.getStatus());
        assertEquals(0, head.getContent().length);
        if (HttpEmu.isAvailable())
        {
            long calls = HttpEmu.callCount("HttpReceiveHttpRequest") + HttpEmu.callCount("HttpSendHttpResponse") - before;
            assertTrue(calls <= 4 * 2 + 16, "native calls: " + calls);
        }
    }

    @Test
    public void eachConnectionHasItsOwnClientsAddress() throws Exception
    {
        java.util.function.Supplier<Handler> addresses = () -> new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request) + " " +
                    Request.getLocalAddr(request) + ":" + Request.getLocalPort(request), callback);
                return true;
            }
        };
        start(addresses.get());
        String httpSys = addressesSeen(port);
        // The same case against Jetty's own connector.
        Server jetty = new Server();
        org.eclipse.jetty.server.ServerConnector serverConnector = new org.eclipse.jetty.server.ServerConnector(jetty);
        serverConnector.setHost("127.0.0.1");
        jetty.addConnector(serverConnector);
        jetty.setHandler(addresses.get());
        jetty.start();
        String own;
        try
        {
            own = addressesSeen(serverConnector.getLocalPort());
        }
        finally
        {
            jetty.stop();
        }
        assertEquals("24 requests, each with its own connection's addresses", own, "ServerConnector");
        assertEquals(own, httpSys, "HttpSysConnector as ServerConnector");
    }

    /**
     * Connections one after the other from the same host, other ports; then their requests again in turn: the
     * addresses a receive made for one connection must never be another's.
     */
    private static String addressesSeen(int port) throws Exception
    {
        List<java.net.Socket> sockets = new java.util.ArrayList<>();
        StringBuilder wrong = new StringBuilder();
        int requests = 0;
        try
        {
            for (int round = 0; round < 2; round++)
            {
                for (int i = 0; i < 12; i++)
                {
                    if (round == 0)
                        sockets.add(new java.net.Socket("127.0.0.1", port));
                    java.net.Socket s = sockets.get(i);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    RawHttp.Response r = RawHttp.readResponse(new RawHttp.Reader(s.getInputStream()), "GET");
                    String expected = "127.0.0.1:" + s.getLocalPort() + " 127.0.0.1:" + port;
                    requests++;
                    if (r == null || !expected.equals(r.body()))
                        wrong.append("; connection ").append(i).append(", round ").append(round).append(": ")
                            .append(r == null ? "no response" : r.body()).append(" instead of ").append(expected);
                }
            }
        }
        finally
        {
            for (java.net.Socket s : sockets)
                s.close();
        }
        return requests + " requests, " + (wrong.length() == 0 ? "each with its own connection's addresses" : "wrong" + wrong);
    }

    @Test
    public void postBodiesEchoedWithFixedAndChunkedLengths() throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Source.asByteBufferAsync(request).whenComplete((bb, x) ->
                {
                    if (x != null)
                    {
                        Response.writeError(request, response, callback, x);
                        return;
                    }
                    // Two writes without a length: the connector frames chunks itself (F-58).
                    ByteBuffer copy = bb.duplicate();
                    int half = copy.remaining() / 2;
                    ByteBuffer first = copy.slice(0, half);
                    ByteBuffer second = copy.slice(half, copy.remaining() - half);
                    response.write(false, first, Callback.from(() -> response.write(true, second, callback), callback::failed));
                });
                return true;
            }
        });
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++)
            big[i] = (byte)(i * 31);
        ContentResponse r = client.newRequest(url("/echo")).method(HttpMethod.POST).body(new BytesRequestContent(big)).send();
        assertEquals(200, r.getStatus());
        assertEquals("chunked", r.getHeaders().get(HttpHeader.TRANSFER_ENCODING));
        assertTrue(java.util.Arrays.equals(big, r.getContent()));
        // A chunked upload (unknown length) is de-chunked by HTTP.sys (F-48).
        var chunked = new org.eclipse.jetty.client.AsyncRequestContent();
        var pending = new org.eclipse.jetty.client.CompletableResponseListener(
            client.newRequest(url("/echo")).method(HttpMethod.POST).body(chunked)).send();
        chunked.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)), Callback.NOOP);
        chunked.write(ByteBuffer.wrap("defg".getBytes(StandardCharsets.US_ASCII)), Callback.NOOP);
        chunked.close();
        assertEquals("abcdefg", pending.get(10, TimeUnit.SECONDS).getContentAsString());
    }

    @Test
    public void servletFlushesReuseTheirBufferWithoutRepeatingContent() throws Exception
    {
        org.eclipse.jetty.ee10.servlet.ServletContextHandler context = new org.eclipse.jetty.ee10.servlet.ServletContextHandler();
        context.addServlet(new org.eclipse.jetty.ee10.servlet.ServletHolder(new jakarta.servlet.http.HttpServlet()
        {
            @Override
            protected void doGet(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp) throws java.io.IOException
            {
                java.io.PrintWriter w = resp.getWriter();
                for (String part : List.of("one,", "two,", "three"))
                {
                    w.write(part);
                    w.flush();
                }
            }
        }), "/*");
        start(context);
        ContentResponse r = client.GET(url("/parts"));
        assertEquals("one,two,three", r.getContentAsString());
        assertEquals("chunked", r.getHeaders().get(HttpHeader.TRANSFER_ENCODING));
    }

    @Test
    public void tooLargeBodyGets413() throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Source.consumeAll(request, Callback.from(() -> Content.Sink.write(response, true, "read", callback),
                    x -> Response.writeError(request, response, callback, x)));
                return true;
            }
        });
        ContentResponse r = client.newRequest(url("/big")).method(HttpMethod.POST).body(new BytesRequestContent(new byte[(1 << 20) + 1])).send();
        assertEquals(413, r.getStatus());
        ContentResponse ok = client.newRequest(url("/small")).method(HttpMethod.POST).body(new StringRequestContent("x")).send();
        assertEquals("read", ok.getContentAsString());
    }

    @Test
    public void http10ResponseOfUnknownLengthIsCloseDelimited() throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.write(false, ByteBuffer.wrap("part1-".getBytes(StandardCharsets.US_ASCII)),
                    Callback.from(() -> response.write(true, ByteBuffer.wrap("part2".getBytes(StandardCharsets.US_ASCII)), callback), callback::failed));
                return true;
            }
        });
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /ten HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(all.startsWith("HTTP/1.1 200 "), all);
            assertTrue(all.endsWith("\r\n\r\npart1-part2"), all);
            assertTrue(!all.toLowerCase().contains("transfer-encoding"), all);
        }
    }

    @Test
    public void forwardedRequestCustomizerApplies() throws Exception
    {
        HttpConfiguration config = new HttpConfiguration();
        config.addCustomizer(new ForwardedRequestCustomizer());
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, Request.getRemoteAddr(request) + " " + request.getHttpURI().getScheme(), callback);
                return true;
            }
        }, config);
        ContentResponse r = client.newRequest(url("/f")).headers(h -> h.add("X-Forwarded-For", "10.1.2.3").add("X-Forwarded-Proto", "https")).send();
        assertEquals("10.1.2.3 https", r.getContentAsString());
    }

    @Test
    public void connectionCloseIsHonoured() throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, "bye", callback);
                return true;
            }
        });
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(all.contains("Connection: close"), all);
            assertTrue(all.endsWith("bye"), all);
        }
    }

    @Test
    public void invalidPrefixIsRefusedWithAClearError()
    {
        Server s = new Server();
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> new HttpSysConnector(s, "http://localhost/"));
        assertTrue(x.getMessage().contains("explicit port"), x.getMessage());
    }

    @Test
    public void portHeldBySocketFailsStartWithSharingViolation() throws Exception
    {
        try (java.net.ServerSocket held = new java.net.ServerSocket(0))
        {
            Server s = new Server();
            HttpSysConnector c = new HttpSysConnector(s, "http://+:" + held.getLocalPort() + "/");
            s.addConnector(c);
            Exception x = assertThrows(Exception.class, s::start);
            assertTrue(String.valueOf(x.getMessage()).contains("ERROR_SHARING_VIOLATION"), String.valueOf(x.getMessage()));
            s.stop();
        }
    }
}
