package io.github.jettyhttpsys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.jettyhttpsys.emulator.HttpEmu;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every native function the connector calls while serving fails once, then fifty times in a row,
 * with an error Windows returns for it: the affected requests fail cleanly, the server keeps
 * serving once the faults clear, no request stays active and nothing native is left behind.
 */
public class FaultInjectionTest
{
    private Server server;
    private HttpSysConnector connector;
    private HttpClient client;
    private int port;
    private int hangs;
    private java.net.Socket raw;
    private RawHttp.Reader rawIn;
    private final StringBuilder hung = new StringBuilder();

    @BeforeEach
    public void needsEmulator()
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: fault injection");
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (!HttpEmu.isAvailable())
            return;
        HttpEmu.clearFaults();
        closeRaw();
        if (client != null)
            client.stop();
        if (server != null)
            server.stop();
        TestSupport.assertNothingLeaked();
    }

    static Stream<Arguments> faults()
    {
        Object[][] cases = {
            {"HttpReceiveHttpRequest", Layout.ERROR_NOT_ENOUGH_MEMORY},
            {"HttpReceiveHttpRequest", Layout.ERROR_INVALID_PARAMETER},
            {"HttpReceiveHttpRequest", Layout.ERROR_NETNAME_DELETED},
            {"HttpReceiveRequestEntityBody", Layout.ERROR_NETNAME_DELETED},
            {"HttpReceiveRequestEntityBody", Layout.ERROR_NOT_ENOUGH_MEMORY},
            {"HttpSendHttpResponse", Layout.ERROR_CONNECTION_INVALID},
            {"HttpSendHttpResponse", Layout.ERROR_NOT_ENOUGH_MEMORY},
            {"HttpSendResponseEntityBody", Layout.ERROR_NETNAME_DELETED},
            {"HttpWaitForDisconnectEx", Layout.ERROR_NOT_ENOUGH_MEMORY},
            {"HttpWaitForDisconnectEx", Layout.ERROR_INVALID_PARAMETER},
            {"HttpCancelHttpRequest", Layout.ERROR_CONNECTION_INVALID},
            {"HttpCancelHttpRequest", Layout.ERROR_NOT_ENOUGH_MEMORY},
            {"CancelIoEx", Layout.ERROR_NOT_FOUND},
            {"GetQueuedCompletionStatusEx", Layout.ERROR_INVALID_HANDLE},
            {"GetQueuedCompletionStatusEx", Layout.ERROR_ABANDONED_WAIT_0},
        };
        Stream.Builder<Arguments> b = Stream.builder();
        for (Object[] c : cases)
        {
            b.add(Arguments.of(c[0], c[1], 1));
            b.add(Arguments.of(c[0], c[1], 50));
        }
        return b.build();
    }

    private void start() throws Exception
    {
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        connector.setReceiveConcurrency(2);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                String path = request.getHttpURI().getPath();
                switch (path)
                {
                    case "/echo" -> Content.Source.asString(request, StandardCharsets.UTF_8, Promise(response, callback));
                    case "/stream" -> response.write(false, ByteBuffer.wrap("part-".getBytes(StandardCharsets.US_ASCII)),
                        Callback.from(() -> response.write(true, ByteBuffer.wrap("end".getBytes(StandardCharsets.US_ASCII)), callback), callback::failed));
                    case "/abort" -> response.write(false, ByteBuffer.wrap("partial".getBytes(StandardCharsets.US_ASCII)),
                        Callback.from(() -> callback.failed(new RuntimeException("handler gives up")), callback::failed));
                    default -> Content.Sink.write(response, true, "ok", callback);
                }
                return true;
            }
        });
        server.start();
        client = new HttpClient();
        client.start();
    }

    private static org.eclipse.jetty.util.Promise<String> Promise(Response response, Callback callback)
    {
        return new org.eclipse.jetty.util.Promise<>()
        {
            @Override
            public void succeeded(String body)
            {
                Content.Sink.write(response, true, body, callback);
            }

            @Override
            public void failed(Throwable x)
            {
                callback.failed(x);
            }
        };
    }

    /**
     * One of each kind of request; under faults any of them may fail, but none may hang. The requests go
     * through {@link RawHttp} on one keep-alive connection (a new one after a failure), which reads each
     * response by its framing: a hang is the server's, never a client's. Jetty's HttpClient was seen here to
     * time out a POST whose complete response (20,110 bytes, 1 ms after the request) was on the wire; after a
     * reset connection it does so rarely against Jetty's own ServerConnector too.
     */
    private void mix()
    {
        if (hangs > 0)
            return;
        String body = "x".repeat(20_000);
        for (String path : new String[]{"/small", "/stream", "/abort", "/echo"})
        {
            boolean post = path.equals("/echo");
            String request = (post ? "POST " : "GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" +
                (post ? "Content-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body : "\r\n");
            try
            {
                if (raw == null)
                {
                    raw = new java.net.Socket("127.0.0.1", port);
                    raw.setSoTimeout(5_000);
                    rawIn = new RawHttp.Reader(raw.getInputStream());
                }
                raw.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                raw.getOutputStream().flush();
                RawHttp.Response r = RawHttp.readResponse(rawIn, post ? "POST" : "GET");
                if (r == null || "close".equalsIgnoreCase(r.header("Connection")))
                    closeRaw(); // closed by the server: the next request takes a new connection
            }
            catch (java.net.SocketTimeoutException x)
            {
                hung(path); // no complete response within 5 s: the failure did not reach the client
                closeRaw();
            }
            catch (java.io.IOException x)
            {
                closeRaw(); // reset or closed: a failed request is allowed under faults (and /abort always fails)
            }
        }
    }

    private void closeRaw()
    {
        if (raw == null)
            return;
        try
        {
            raw.close();
        }
        catch (java.io.IOException ignored)
        {
            // closing anyway
        }
        raw = null;
        rawIn = null;
    }

    /** Records a hung request with what the server holds at that moment, for the assertion's message. */
    private void hung(String path)
    {
        hangs++;
        hung.append("\n").append(path).append(" hung; active requests ").append(connector.getActiveRequests())
            .append(", tracked connections ").append(connector.getTrackedConnections())
            .append(", emulator ").append(HttpEmu.counters()).append('\n')
            .append(connector.dump());
        for (HttpSysStream s : connector.activeStreams())
            hung.append(s).append(" of ").append(s.getChannel()).append('\n');
    }

    @ParameterizedTest(name = "{0} fails {2}x with {1}")
    @MethodSource("faults")
    public void serverKeepsServingAfterNativeFailures(String function, int error, int count) throws Exception
    {
        start();
        client.GET("http://127.0.0.1:" + port + "/warm");
        // The connector's log during the faults: one line per cause, not one per failure.
        org.eclipse.jetty.logging.StdErrAppender appender = (org.eclipse.jetty.logging.StdErrAppender)
            ((org.eclipse.jetty.logging.JettyLogger)org.slf4j.LoggerFactory.getLogger(RequestQueueLogger.NAME)).getAppender();
        java.io.PrintStream original = appender.getStream();
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        appender.setStream(new java.io.PrintStream(new TeeStream(original != null ? original : System.err, captured), true));
        try
        {
            HttpEmu.failNext(function, count, error);
            for (int i = 0; i < Math.min(count, 10); i++)
                mix();
            if (function.equals("GetQueuedCompletionStatusEx") || function.equals("HttpReceiveHttpRequest"))
            {
                // let every injected failure be taken before counting lines
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (HttpEmu.callCount(function) < count && System.nanoTime() < until)
                    Thread.sleep(5);
            }
        }
        finally
        {
            HttpEmu.clearFaults();
            appender.setStream(original);
        }
        long lines = captured.toString(StandardCharsets.UTF_8).lines()
            .filter(l -> l.contains(function) && (l.contains(":WARN") || l.contains(":ERROR"))).count();
        assertTrue(lines <= 1, lines + " log lines for " + count + " failures of " + function + ":\n" + captured);
        assertEquals(0, hangs, "requests that hung under faults of " + function + " (" + count + "x, error " + error + "):" + hung);
        String base = "http://127.0.0.1:" + port;
        for (int i = 0; i < 20; i++)
        {
            ContentResponse r = client.newRequest(base + "/after" + i).timeout(5, TimeUnit.SECONDS).send();
            assertEquals("ok", r.getContentAsString(), function + " request " + i);
        }
        ContentResponse echo = client.newRequest(base + "/echo").method(HttpMethod.POST).body(new StringRequestContent("body"))
            .timeout(5, TimeUnit.SECONDS).send();
        assertEquals("body", echo.getContentAsString());
        assertEquals("part-end", client.newRequest(base + "/stream").timeout(5, TimeUnit.SECONDS).send().getContentAsString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (connector.getActiveRequests() > 0 && System.nanoTime() < deadline)
            Thread.sleep(5);
        assertEquals(0, connector.getActiveRequests(), "requests left active after faults of " + function);
        assertTrue(HttpEmu.callCount(function) > 0, function + " was called");
    }

    /**
     * F-27: a request whose headers do not fit the receive buffer is bound to its id by ERROR_MORE_DATA and
     * can only be received again by that id. When that retry fails, a receive of 0 never returns it: the
     * connector retries by the id and serves it; after failures it cannot wait out, it cancels the request
     * (its client sees a reset) instead of leaving it unanswered.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3, 30})
    public void aBoundRequestWhoseRetryFailsIsNeverLeftUnanswered(int failures) throws Exception
    {
        start();
        String base = "http://127.0.0.1:" + port;
        assertEquals("ok", client.GET(base + "/warm").getContentAsString());
        // Every receive pending again (the last one re-issued after the warm-up's response): the next call
        // of HttpReceiveHttpRequest is the retry of the bound request.
        long calls = -1;
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); System.nanoTime() < until; )
        {
            Thread.sleep(50);
            long now = HttpEmu.callCount("HttpReceiveHttpRequest");
            if (now == calls)
                break;
            calls = now;
        }
        HttpEmu.failNext("HttpReceiveHttpRequest", failures, Layout.ERROR_INVALID_PARAMETER);
        String big = "v".repeat(8000); // larger than the first receive's buffer
        boolean served;
        try
        {
            ContentResponse r = client.newRequest(base + "/bound").headers(h -> h.put("X-Big", big))
                .timeout(10, TimeUnit.SECONDS).send();
            assertEquals("ok", r.getContentAsString());
            served = true;
        }
        catch (java.util.concurrent.ExecutionException x)
        {
            served = false; // reset by the cancel
        }
        catch (java.util.concurrent.TimeoutException x)
        {
            throw new AssertionError("the bound request was left unanswered after " + failures + " failed retries", x);
        }
        finally
        {
            HttpEmu.clearFaults();
        }
        assertTrue(HttpEmu.callCount("HttpReceiveHttpRequest") >= calls + Math.min(failures, 9), "the retry took the faults");
        if (failures <= 3)
            assertTrue(served, "a retry by the id serves the request once the fault clears");
        for (int i = 0; i < 5; i++)
            assertEquals("ok", client.newRequest(base + "/after" + i).headers(h -> h.put("X-Big", big))
                .timeout(5, TimeUnit.SECONDS).send().getContentAsString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (connector.getActiveRequests() > 0 && System.nanoTime() < deadline)
            Thread.sleep(5);
        assertEquals(0, connector.getActiveRequests());
    }

    /** The logger the engine uses; its appender is the one every logger of this JVM writes through. */
    private static final class RequestQueueLogger
    {
        static final String NAME = "io.github.jettyhttpsys.engine.RequestQueue";
    }

    /** Writes to the real stream and keeps a copy. */
    private static final class TeeStream extends java.io.OutputStream
    {
        private final java.io.OutputStream _a;
        private final java.io.OutputStream _b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b)
        {
            _a = a;
            _b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException
        {
            _a.write(c);
            _b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException
        {
            _a.write(buf, off, len);
            _b.write(buf, off, len);
        }
    }
}
