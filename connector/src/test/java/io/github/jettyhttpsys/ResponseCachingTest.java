package io.github.jettyhttpsys;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel response cache through the connector (F-162…F-167): which responses are offered (ASP.NET's
 * rules, F-166), that HTTP.sys then answers the URL without the application, with the same bytes the
 * application sent and the same response Jetty's own connector gives, and that flushing or switching it off
 * brings requests back to the application.
 */
public class ResponseCachingTest
{
    private Server server;
    private HttpSysConnector connector;
    private int port;
    private final Map<String, AtomicInteger> served = new ConcurrentHashMap<>();

    /** Path → the response headers the application sets; the body is the path. */
    private static final Map<String, String[]> RESPONSES = Map.of(
        "/public", new String[]{"Cache-Control", "public, max-age=60"},
        "/smaxage", new String[]{"Cache-Control", "public, s-maxage=60, max-age=0"},
        "/private", new String[]{"Cache-Control", "private, max-age=60"},
        "/nopublic", new String[]{"Cache-Control", "max-age=60"},
        "/cookie", new String[]{"Cache-Control", "public, max-age=60", "Set-Cookie", "a=b"},
        "/vary", new String[]{"Cache-Control", "public, max-age=60", "Vary", "Accept-Encoding"},
        "/tree/x", new String[]{"Cache-Control", "public, max-age=60"},
        "/tree/y", new String[]{"Cache-Control", "public, max-age=60"});

    private static Handler app(Map<String, AtomicInteger> served)
    {
        return new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                String path = Request.getPathInContext(request);
                served.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                String[] headers = RESPONSES.getOrDefault(path, new String[0]);
                for (int i = 0; i < headers.length; i += 2)
                    response.getHeaders().add(headers[i], headers[i + 1]);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.getHeaders().put("X-App", "yes");
                byte[] body = ("body of " + path).getBytes();
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                response.write(true, java.nio.ByteBuffer.wrap(body), callback);
                return true;
            }
        };
    }

    private void start(boolean caching) throws Exception
    {
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        connector.setResponseCaching(caching);
        server.addConnector(connector);
        server.setHandler(app(served));
        server.start();
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        TestSupport.assertNothingLeaked(); // also no cache entry left once the queue closed
    }

    private RawHttp.Response get(String path, String... extra) throws Exception
    {
        StringBuilder r = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n");
        for (String e : extra)
            r.append(e).append("\r\n");
        RawHttp.Exchange x = RawHttp.exchange(port, r.append("Connection: close\r\n\r\n").toString(), List.of("GET"), 0);
        assertNull(x.failure, x.toString());
        return x.get(0);
    }

    private int served(String path)
    {
        AtomicInteger n = served.get(path);
        return n == null ? 0 : n.get();
    }

    @Test
    public void aPublicResponseIsAnsweredByHttpSysWithoutTheApplication() throws Exception
    {
        start(true);
        long hits = HttpEmu.counters().cacheHits();
        RawHttp.Response first = get("/public");
        RawHttp.Response second = get("/public");
        RawHttp.Response third = get("/smaxage");
        get("/smaxage");
        assertEquals(1, served("/public"), "the second GET never reached the application");
        assertEquals(1, served("/smaxage"));
        assertTrue(HttpEmu.counters().cacheHits() >= hits + 2);
        assertEquals(200, second.status);
        assertEquals(first.body(), second.body());
        for (String h : List.of("Cache-Control", "Content-Type", "X-App", "Content-Length"))
            assertEquals(first.header(h), second.header(h), h);
        assertEquals(String.valueOf("body of /public".length()), second.header("Content-Length"));
        assertEquals("body of /smaxage", third.body());
    }

    @Test
    public void theSameResponseAsJettysOwnConnector() throws Exception
    {
        start(true);
        get("/public");
        RawHttp.Response cached = get("/public");
        Server jetty = new Server();
        ServerConnector c = new ServerConnector(jetty);
        c.setHost("127.0.0.1");
        jetty.addConnector(c);
        jetty.setHandler(app(new ConcurrentHashMap<>()));
        jetty.start();
        try
        {
            RawHttp.Exchange x = RawHttp.exchange(c.getLocalPort(), "GET /public HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", List.of("GET"), 0);
            RawHttp.Response oracle = x.get(0);
            assertEquals(oracle.status, cached.status);
            assertEquals(oracle.body(), cached.body());
            for (String h : List.of("Cache-Control", "Content-Type", "X-App", "Content-Length"))
                assertEquals(oracle.header(h), cached.header(h), h);
        }
        finally
        {
            jetty.stop();
        }
    }

    @Test
    public void responsesThatMustNotBeSharedAreNeverOffered() throws Exception
    {
        start(true);
        for (String p : List.of("/private", "/nopublic", "/cookie", "/vary"))
        {
            get(p);
            get(p);
            assertEquals(2, served(p), p + " reached the application each time");
        }
        // HTTP.sys's own rules (F-163): a request with Authorization neither stores nor is answered from the cache.
        get("/public", "Authorization: Basic dTpw");
        get("/public", "Authorization: Basic dTpw");
        assertEquals(2, served("/public"));
    }

    @Test
    public void flushBringsRequestsBackToTheApplication() throws Exception
    {
        start(true);
        get("/tree/x");
        get("/tree/y");
        get("/tree/x");
        assertEquals(1, served("/tree/x"));
        String base = "http://127.0.0.1:" + port;
        connector.flushResponseCache(base + "/tree/x", false);
        get("/tree/x");
        get("/tree/y");
        assertEquals(2, served("/tree/x"), "flushed");
        assertEquals(1, served("/tree/y"), "not flushed: another URL");
        connector.flushResponseCache(base + "/tree/", true);
        get("/tree/y");
        assertEquals(2, served("/tree/y"), "flushed with everything under /tree/");
        assertThrows(IllegalStateException.class, () -> connector.flushResponseCache("", false));
    }

    @Test
    public void offWhenSwitchedOff() throws Exception
    {
        start(false);
        get("/public");
        get("/public");
        assertEquals(2, served("/public"));
    }

    @Test
    public void timeToLiveFollowsAspNetsRules()
    {
        long now = System.currentTimeMillis();
        assertEquals(60, ResponseCaching.timeToLive(fields("Cache-Control", "public, max-age=60"), now));
        assertEquals(30, ResponseCaching.timeToLive(fields("Cache-Control", "public, s-maxage=30, max-age=60"), now));
        assertEquals(0, ResponseCaching.timeToLive(fields("Cache-Control", "public"), now), "public alone: no time to live");
        assertEquals(0, ResponseCaching.timeToLive(fields("Cache-Control", "max-age=60"), now), "not public");
        assertEquals(0, ResponseCaching.timeToLive(fields("Expires", HttpFields.build().addDateField("Expires", now + 60_000).get("Expires")), now),
            "Expires without public");
        int expires = ResponseCaching.timeToLive(fields("Cache-Control", "public", "Expires",
            HttpFields.build().addDateField("Expires", now + 120_000).get("Expires")), now);
        assertTrue(expires >= 118 && expires <= 120, "Expires minus now: " + expires);
        assertEquals(60, ResponseCaching.timeToLive(fields("Cache-Control", "public, max-age=60", "Expires",
            HttpFields.build().addDateField("Expires", now + 120_000).get("Expires")), now), "max-age before Expires");
        assertEquals(0, ResponseCaching.timeToLive(fields("Cache-Control", "public, max-age=60", "Set-Cookie", "a=b"), now));
        assertEquals(0, ResponseCaching.timeToLive(fields("Cache-Control", "public, max-age=60", "Vary", "*"), now));
        assertEquals(0, ResponseCaching.timeToLive(fields("Cache-Control", "public, max-age=60", "Pragma", "no-cache"), now));
        assertEquals(Integer.MAX_VALUE, ResponseCaching.timeToLive(fields("Cache-Control", "public, max-age=99999999999"), now));
        assertEquals(0, ResponseCaching.timeToLive(fields("Cache-Control", "public, max-age=soon"), now));
    }

    private static HttpFields fields(String... nameValues)
    {
        HttpFields.Mutable f = HttpFields.build();
        for (int i = 0; i < nameValues.length; i += 2)
            f.add(nameValues[i], nameValues[i + 1]);
        return f;
    }
}
