package io.github.jettyhttpsys;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules Jetty's own HTTP/1.1 connector enforces on every request and response, checked with the
 * same raw bytes against both connectors: Jetty's {@link ServerConnector} is the oracle, and
 * {@link HttpSysConnector} must give the same result (HTTP.sys itself sends what it is given,
 * F-178…F-182, so the connector is what protects the client).
 */
public class ProtocolSafetyTest
{
    enum Transport
    {
        JETTY, HTTPSYS
    }

    private Server server;
    private int port;

    private void start(Transport transport, Handler handler) throws Exception
    {
        start(transport, handler, new HttpConfiguration(), null);
    }

    private void start(Transport transport, Handler handler, HttpConfiguration config, java.util.function.Consumer<HttpConfiguration> afterConnector) throws Exception
    {
        server = new Server();
        if (transport == Transport.JETTY)
        {
            ServerConnector c = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
            c.setHost("127.0.0.1");
            server.addConnector(c);
            if (afterConnector != null)
                afterConnector.accept(config);
            server.setHandler(handler);
            server.start();
            port = c.getLocalPort();
        }
        else
        {
            port = TestSupport.freePort();
            // A wildcard prefix, so requests naming any host are routed (an explicit host would make
            // HTTP.sys answer other names with its own 400, as it does on Windows).
            HttpSysConnector c = new HttpSysConnector(server, config, "http://+:" + port + "/");
            c.setMaxRequestBodySize(1000);
            server.addConnector(c);
            if (afterConnector != null)
                afterConnector.accept(config);
            server.setHandler(handler);
            server.start();
        }
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        TestSupport.assertNothingLeaked();
    }

    private String get(String path)
    {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n";
    }

    private String request(String method, String path)
    {
        return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n";
    }

    /** A core handler that answers every request with the text {@code body} makes of it. */
    private static Handler text(java.util.function.Function<Request, String> body)
    {
        return new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, body.apply(request), callback);
                return true;
            }
        };
    }

    private static Handler servlet(HttpServlet servlet)
    {
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(servlet), "/*");
        return context;
    }

    /**
     * Answers /status/N with status N and a body written anyway (after committing the head first
     * with ?flush), or with only a Content-Length (?cl=N); everything else with "next".
     */
    private static Handler statusWithBody()
    {
        return servlet(new HttpServlet()
        {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                String path = req.getPathInfo();
                if (path.startsWith("/status/"))
                {
                    resp.setStatus(Integer.parseInt(path.substring(8)));
                    if (req.getParameter("cl") != null)
                    {
                        resp.setHeader("Content-Length", req.getParameter("cl"));
                        return;
                    }
                    if (req.getParameter("flush") != null)
                        resp.flushBuffer();
                    try
                    {
                        resp.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled".getBytes(StandardCharsets.US_ASCII));
                    }
                    catch (IOException ignored)
                    {
                        // a connector may refuse the write; what matters is what reaches the wire
                    }
                    return;
                }
                resp.getWriter().write("next");
            }
        });
    }

    // ---- 1. responses: no body and no framing where status or method forbid it ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void bodyWrittenForA204OrA304NeverReachesTheWire(Transport transport) throws Exception
    {
        start(transport, statusWithBody());
        // Before commit Jetty either refuses the content with a 500 or drops it (both seen from Jetty's
        // own connector); after a flushed head the bytes are dropped. Never do they reach the wire.
        for (String status : List.of("204", "304", "204?flush=1", "304?flush=1"))
        {
            RawHttp.Exchange x = RawHttp.exchange(port, get("/status/" + status) + get("/after"), List.of("GET", "GET"), 300);
            String what = transport + " " + status + ": " + x;
            assertNull(x.failure, what);
            int expected = Integer.parseInt(status.substring(0, 3));
            assertTrue(x.get(0).status == expected || (!status.contains("flush") && x.get(0).status == 500), what);
            assertFalse(x.get(0).body().contains("smuggled"), what);
            assertEquals(200, x.get(1).status, what);
            assertEquals("next", x.get(1).body(), what);
            assertEquals(0, x.trailing.length, what);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void noContentLengthOn204ButA304KeepsItsOwn(Transport transport) throws Exception
    {
        start(transport, statusWithBody());
        RawHttp.Exchange x = RawHttp.exchange(port, get("/status/204?cl=0") + get("/status/304?cl=10") + get("/after"),
            List.of("GET", "GET", "GET"), 300);
        assertNull(x.failure, x.toString());
        assertEquals(204, x.get(0).status, x.toString());
        assertNull(x.get(0).header("Content-Length"), transport + ": RFC 9110 §8.6 forbids Content-Length on 204: " + x);
        assertEquals(304, x.get(1).status, x.toString());
        assertEquals("10", x.get(1).header("Content-Length"), transport + ": " + x);
        assertEquals("next", x.get(2).body(), x.toString());
        assertEquals(0, x.trailing.length, x.toString());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void headPutsNoBodyOnTheWireAndKeepsTheLengthOfTheGet(Transport transport) throws Exception
    {
        start(transport, new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                if (request.getHttpURI().getPath().equals("/stream"))
                    response.write(false, ByteBuffer.wrap("part-one;".getBytes(StandardCharsets.US_ASCII)),
                        Callback.from(() -> response.write(true, ByteBuffer.wrap("part-two".getBytes(StandardCharsets.US_ASCII)), callback), callback::failed));
                else
                    Content.Sink.write(response, true, "exactly 18 bytes!!", callback);
                return true;
            }
        });
        RawHttp.Exchange x = RawHttp.exchange(port, request("HEAD", "/one") + request("GET", "/one") + request("HEAD", "/stream") + get("/one"),
            List.of("HEAD", "GET", "HEAD", "GET"), 300);
        assertNull(x.failure, x.toString());
        assertEquals("18", x.get(0).header("Content-Length"), x.toString());
        assertEquals("18", x.get(1).header("Content-Length"), x.toString());
        assertEquals("exactly 18 bytes!!", x.get(1).body());
        assertEquals(200, x.get(2).status, x.toString());
        assertEquals("exactly 18 bytes!!", x.get(3).body(), x.toString());
        assertEquals(0, x.trailing.length, x.toString());
    }

    // ---- header injection ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void crLfInResponseHeadersNeverMakeASecondHeader(Transport transport) throws Exception
    {
        start(transport, servlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                resp.setHeader("X-Value", "a\r\nSet-Cookie: x=1");
                resp.setHeader("X-Lf", "b\nSet-Cookie: y=2");
                resp.setHeader("X-Name\r\nSet-Cookie: z", "3");
                resp.setContentType("text/plain\r\nSet-Cookie: w=4");
                resp.getWriter().write("ok");
            }
        }));
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((get("/x") + get("/x")).getBytes(StandardCharsets.US_ASCII));
            RawHttp.Exchange x = RawHttp.read(s, List.of("GET", "GET"), 300);
            assertNull(x.failure, x.toString());
            for (RawHttp.Response r : x.responses)
            {
                assertEquals(200, r.status, x.toString());
                assertTrue(r.headers("Set-Cookie").isEmpty(), transport + ": injected header: " + x);
                assertEquals("a  Set-Cookie: x=1", r.header("X-Value"), x.toString());
                assertEquals("b Set-Cookie: y=2", r.header("X-Lf"), x.toString());
                assertEquals("ok", r.body());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void nulInAResponseHeaderIsTreatedAsJettyTreatsIt(Transport transport) throws Exception
    {
        start(transport, new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.getHeaders().put("X-Nul", "a\u0000b");
                response.getHeaders().put("X-Wide", "caf\u00e9 \u2603");
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
        RawHttp.Exchange x = RawHttp.exchange(port, get("/"), List.of("GET"), 100);
        assertNull(x.failure, x.toString());
        // Jetty writes NUL, like CR and LF, as a space, and a character beyond ISO-8859-1 as a space too.
        assertEquals("a b", x.get(0).header("X-Nul"), transport + ": " + x);
        assertEquals("caf\u00e9", x.get(0).header("X-Wide"), transport + ": " + x);
    }

    // ---- sizes ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void oversizedResponseHeaderFailsWith500BeforeCommit(Transport transport) throws Exception
    {
        start(transport, new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                int size = Integer.parseInt(request.getHttpURI().getPath().substring(1));
                response.getHeaders().put("X-Big", "v".repeat(size));
                Content.Sink.write(response, true, "body", callback);
                return true;
            }
        });
        // Jetty's limit: maxResponseHeaderSize (16 KiB by default); the API's: 65,535 bytes per field.
        for (int size : new int[]{70_000, 17_000})
        {
            RawHttp.Exchange x = RawHttp.exchange(port, get("/" + size) + get("/10"), List.of("GET", "GET"), 300);
            RawHttp.Response r = x.get(0);
            assertEquals(500, r.status, transport + " " + size + ": " + x);
            assertNull(r.header("X-Big"), x.toString());
        }
        RawHttp.Exchange ok = RawHttp.exchange(port, get("/10000"), List.of("GET"), 100);
        assertEquals(200, ok.get(0).status);
        assertEquals(10000, ok.get(0).header("X-Big").length());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void responseShorterThanItsContentLengthIsAbortedAtOnce(Transport transport) throws Exception
    {
        start(transport, servlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                resp.setContentLength(100);
                resp.getOutputStream().write("only ten!!".getBytes(StandardCharsets.US_ASCII));
                resp.flushBuffer();
            }
        }));
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(5_000); // the client's own timeout would be far longer
            s.getOutputStream().write(get("/short").getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            RawHttp.Exchange x = RawHttp.read(s, List.of("GET"), 100);
            assertNotNull(x.failure, transport + ": " + x);
            assertFalse(x.failure instanceof java.net.SocketTimeoutException, transport + ": the client had to time out: " + x);
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5);
        }
    }

    // ---- connection handling ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void connectionHeaderValuesAreMatchedAsTokens(Transport transport) throws Exception
    {
        start(transport, text(request -> "hi"));
        String first = "GET /a HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: keep-alive, x-closer\r\n\r\n";
        RawHttp.Exchange x = RawHttp.exchange(port, first + get("/b"), List.of("GET", "GET"), 300);
        assertNull(x.failure, x.toString());
        assertEquals("hi", x.get(1).body(), transport + ": " + x);
        assertFalse(x.closed, transport + ": closed although no close token was sent: " + x);
        String close = "GET /a HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: x-a, Close\r\n\r\n";
        RawHttp.Exchange y = RawHttp.exchange(port, close, List.of("GET"), 2000);
        assertEquals("hi", y.get(0).body());
        assertTrue(y.closed, transport + ": " + y);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void unreadUploadThatTimesOutClosesTheConnection(Transport transport) throws Exception
    {
        HttpConfiguration config = new HttpConfiguration();
        config.setIdleTimeout(1000);
        start(transport, servlet(new HttpServlet()
        {
            @Override
            protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                req.getInputStream().readAllBytes();
                resp.getWriter().write("read");
            }
        }), config, null);
        if (transport == Transport.HTTPSYS)
            server.getBean(HttpSysConnector.class).setIdleTimeout(1000);
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /up HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 100\r\n\r\nonly-some").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawHttp.Exchange x = RawHttp.read(s, List.of("POST"), 3000);
            if (!x.responses.isEmpty())
            {
                assertTrue(x.get(0).status >= 400, x.toString());
                assertTrue(x.closed, transport + ": connection kept after a failed body: " + x);
            }
            else
            {
                assertTrue(x.closed || x.failure != null, transport + ": " + x);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = "HTTPSYS")
    public void tooLargeBodyIsAnsweredWithConnectionClose(Transport transport) throws Exception
    {
        start(transport, servlet(new HttpServlet()
        {
            @Override
            protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                req.getInputStream().readAllBytes();
                resp.getWriter().write("read");
            }
        }));
        String body = "x".repeat(2000);
        RawHttp.Exchange x = RawHttp.exchange(port, "POST /up HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 2000\r\n\r\n" + body + get("/next"),
            List.of("POST"), 2000);
        assertEquals(413, x.get(0).status, x.toString());
        assertEquals("close", x.get(0).header("Connection"), x.toString());
        assertTrue(x.closed, x.toString());
        assertEquals(0, x.trailing.length, x.toString());
    }

    // ---- trailers ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void responseTrailersGoInTheLastChunk(Transport transport) throws Exception
    {
        start(transport, servlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                resp.setTrailerFields(() -> Map.of("X-Checksum", "abc123"));
                resp.getOutputStream().write("streamed".getBytes(StandardCharsets.US_ASCII));
                resp.flushBuffer();
                resp.getOutputStream().write("-more".getBytes(StandardCharsets.US_ASCII));
            }
        }));
        String req = "GET /t HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nTE: trailers\r\n\r\n";
        RawHttp.Exchange x = RawHttp.exchange(port, req + get("/t"), List.of("GET", "GET"), 300);
        assertNull(x.failure, x.toString());
        assertEquals("streamed-more", x.get(0).body());
        assertEquals("abc123", x.get(0).trailer("X-Checksum"), transport + ": " + x);
        assertEquals("streamed-more", x.get(1).body());
    }

    // ---- repeated headers ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void repeatedKnownResponseHeadersAllReachTheWire(Transport transport) throws Exception
    {
        start(transport, new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                HttpFields.Mutable h = response.getHeaders();
                h.add("Cache-Control", "no-store");
                h.add("Cache-Control", "private");
                h.add("Set-Cookie", "a=1");
                h.add("Set-Cookie", "b=2");
                h.add("Vary", "Accept");
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
        RawHttp.Exchange x = RawHttp.exchange(port, get("/") + get("/"), List.of("GET", "GET"), 300);
        assertNull(x.failure, x.toString());
        assertEquals(List.of("no-store", "private"), x.get(0).headers("Cache-Control"), transport + ": " + x);
        assertEquals(List.of("a=1", "b=2"), x.get(0).headers("Set-Cookie"), transport + ": " + x);
        assertEquals(List.of("Accept"), x.get(0).headers("Vary"));
        assertEquals(1, x.get(0).headers("Content-Length").size(), x.toString());
        assertEquals("ok", x.get(1).body());
    }

    // ---- 2. requests ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void authorityComesFromTheHostHeader(Transport transport) throws Exception
    {
        start(transport, text(request -> request.getHttpURI().getHost() + "|" + Request.getServerPort(request) + "|" +
            request.getHttpURI().getAuthority()));
        RawHttp.Exchange x = RawHttp.exchange(port, "GET /h HTTP/1.1\r\nHost: example.com\r\n\r\n" +
            "GET /h HTTP/1.1\r\nHost: Example.org:9090\r\n\r\n", List.of("GET", "GET"), 100);
        assertNull(x.failure, x.toString());
        assertEquals(200, x.get(0).status, transport + ": " + x);
        assertEquals("example.com|80|example.com", x.get(0).body(), transport + ": " + x);
        assertEquals(200, x.get(1).status, x.toString());
        assertTrue(x.get(1).body().toLowerCase().startsWith("example.org|9090|"), transport + ": " + x);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void requestsJettyCannotAcceptGetA400AndAClose(Transport transport) throws Exception
    {
        start(transport, text(request -> "handled"));
        List<String> bad = List.of(
            "GET / HTTP/1.1\r\nHost: x:99999\r\n\r\n",
            "GET /a/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
        for (String req : bad)
        {
            RawHttp.Exchange x = RawHttp.exchange(port, req, List.of(req.substring(0, req.indexOf(' '))), 2000);
            assertNull(x.failure, transport + " " + req.replace("\r\n", "\\r\\n") + ": " + x);
            assertEquals(400, x.get(0).status, transport + " " + req.replace("\r\n", "\\r\\n") + ": " + x);
            assertTrue(x.closed, transport + " " + req.replace("\r\n", "\\r\\n") + ": " + x);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    public void customizersAddedAfterTheConnectorAreHonoured(Transport transport) throws Exception
    {
        start(transport, text(Request::getServerName), new HttpConfiguration(), c -> c.addCustomizer(new ForwardedRequestCustomizer()));
        RawHttp.Exchange x = RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Forwarded-Host: public.example\r\n\r\n",
            List.of("GET"), 100);
        assertEquals("public.example", x.get(0).body(), transport + ": " + x);
    }
}
