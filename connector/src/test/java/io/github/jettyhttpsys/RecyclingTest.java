package io.github.jettyhttpsys;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpChannel;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The channel of an HTTP/1.x connection serves its next request (as on Jetty's own HTTP/1 connection), and
 * nothing that arrives late for a finished request — a disconnect, an idle timeout, a stop — reaches the
 * request that now runs on the recycled channel.
 */
public class RecyclingTest
{
    private Server server;
    private HttpSysConnector connector;
    private int port;
    private final Map<String, HttpSysStream> streams = new ConcurrentHashMap<>();
    private final Map<String, HttpSysStream.Handle> handles = new ConcurrentHashMap<>();
    private final AtomicReference<Throwable> failureSeen = new AtomicReference<>();
    private final AtomicBoolean lingered = new AtomicBoolean();
    private volatile Runnable duringB = () -> { };

    private void start() throws Exception
    {
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                String path = Request.getPathInContext(request);
                HttpSysStream stream = streamOf(request);
                streams.put(path, stream);
                handles.put(path, stream.handle());
                request.addFailureListener(failureSeen::set);
                if (path.equals("/b"))
                    duringB.run();
                if (path.equals("/lingers"))
                {
                    // The dispatch goes on for a while after the stream completed (Jetty completes it at the end
                    // of the handler call, on this thread).
                    request.addHttpStreamWrapper(s -> new HttpStream.Wrapper(s)
                    {
                        @Override
                        public void succeeded()
                        {
                            super.succeeded();
                            lingered.set(stream.isCompleted());
                            sleep(300);
                        }
                    });
                }
                Content.Sink.write(response, true, path + "-ok", callback);
                return true;
            }
        });
        server.start();
    }

    private static void sleep(long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
    }

    private HttpSysStream streamOf(Request request)
    {
        Request core = Request.unWrap(request);
        for (HttpSysStream s : connector.activeStreams())
        {
            HttpChannel c = s.getChannel();
            if (c != null && c.getRequest() == core)
                return s;
        }
        throw new AssertionError("no stream for " + request);
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

    /** One request after the other on one connection, each sent once the one before is recycled. */
    private List<RawHttp.Response> oneByOne(String... paths) throws Exception
    {
        List<RawHttp.Response> responses = new java.util.ArrayList<>();
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            RawHttp.Reader in = new RawHttp.Reader(s.getInputStream());
            for (String p : paths)
            {
                s.getOutputStream().write(get(p).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                RawHttp.Response r = RawHttp.readResponse(in, "GET");
                if (r == null)
                    break;
                responses.add(r);
                // The response can reach the client before the stream's completion gives the channel back.
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (!streams.get(p).isCompleted() && System.nanoTime() < deadline)
                    Thread.sleep(1);
                Thread.sleep(20);
            }
        }
        return responses;
    }

    @Test
    public void theNextRequestOfAConnectionRunsOnTheSameChannel() throws Exception
    {
        start();
        List<RawHttp.Response> r = oneByOne("/a", "/c");
        assertEquals("/a-ok", r.get(0).body());
        assertEquals("/c-ok", r.get(1).body());
        assertSame(streams.get("/a"), streams.get("/c"), "the stream is reused");
        assertSame(streams.get("/a").getChannel(), streams.get("/c").getChannel(), "the channel is recycled");
        assertNotEquals(handles.get("/a"), handles.get("/c"), "each request has a handle of its own");
    }

    @Test
    public void aStreamWhoseFirstDispatchHasNotReturnedServesNoOtherRequest() throws Exception
    {
        start();
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            RawHttp.Reader in = new RawHttp.Reader(s.getInputStream());
            s.getOutputStream().write(get("/lingers").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            assertEquals("/lingers-ok", RawHttp.readResponse(in, "GET").body());
            // At once, while the handler of /lingers still runs on its stream.
            s.getOutputStream().write(get("/next").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            assertEquals("/next-ok", RawHttp.readResponse(in, "GET").body());
        }
        assertTrue(lingered.get(), "the stream completed before its dispatch returned");
        assertNotSame(streams.get("/lingers"), streams.get("/next"), "a stream is reused only once its dispatch returned");
        assertNull(failureSeen.get());
    }

    @Test
    public void lateNotificationsOfAFinishedRequestNeverReachTheNextOne() throws Exception
    {
        start();
        duringB = () ->
        {
            // Request /a finished; /b now runs on its stream and channel. Everything that could still arrive for /a:
            HttpSysStream.Handle a = handles.get("/a");
            assertNotNull(a);
            assertSame(a.stream(), streams.get("/b"), "the stream of /a serves /b");
            assertSame(a.stream().getChannel(), streams.get("/b").getChannel());
            a.onDisconnect(0);
            a.checkIdle(Long.MAX_VALUE);
            a.stream().dispatched(a.generation());
            a.abort(new Exception("stopped late"));
        };
        List<RawHttp.Response> r = oneByOne("/a", "/b", "/c");
        assertEquals(200, r.get(1).status, r.toString());
        assertEquals("/b-ok", r.get(1).body());
        assertEquals("/c-ok", r.get(2).body(), "the connection goes on");
        assertNull(failureSeen.get(), "no failure reached a request");
        assertSame(streams.get("/b").getChannel(), streams.get("/c").getChannel());
    }

    @Test
    public void aChannelAFailureReachedIsNotRecycled() throws Exception
    {
        start();
        duringB = () -> handles.get("/b").checkIdle(Long.MAX_VALUE); // the idle timeout fires during /b
        List<RawHttp.Response> r = oneByOne("/b", "/c");
        if (r.size() == 2)
        {
            assertNotSame(streams.get("/b").getChannel(), streams.get("/c").getChannel(), "a timed-out channel is not reused");
            assertNotSame(streams.get("/b"), streams.get("/c"), "nor its stream");
        }
        else
            assertNull(streams.get("/c"), "or the connection closed after the timed-out request");
    }

    /**
     * Request fields are reused from one request to the next when their raw bytes are the same: a value that
     * differs, even in one byte of the same length, or that is gone, is never the earlier request's. The
     * handler's view of each request's headers is the same as on Jetty's own connector.
     */
    @Test
    public void reusedRequestFieldsAreAlwaysThisRequestsOwn() throws Exception
    {
        Handler echo = new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                String ua = request.getHeaders().get(org.eclipse.jetty.http.HttpHeader.USER_AGENT);
                String host = request.getHeaders().get(org.eclipse.jetty.http.HttpHeader.HOST);
                String hostOnly = Request.getServerName(request);
                Content.Sink.write(response, true, ua + "|" + host.replaceAll(":[0-9]+$", ":P") + "|" + hostOnly, callback);
                return true;
            }
        };
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://+:" + port + "/");
        server.addConnector(connector);
        org.eclipse.jetty.server.ServerConnector jetty = new org.eclipse.jetty.server.ServerConnector(server);
        jetty.setHost("127.0.0.1");
        server.addConnector(jetty);
        server.setHandler(echo);
        server.start();
        String[][] requests = {
            {"agent-A", "127.0.0.1"}, {"agent-A", "127.0.0.1"}, {"agent-B", "127.0.0.1"}, {null, "127.0.0.1"},
            {"agent-B", "localhost"}, {"agent-B", "localhost"}, {"agent-A", "127.0.0.2"},
        };
        for (int which = 0; which < 2; which++)
        {
            int target = which == 0 ? port : jetty.getLocalPort();
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", target))
            {
                socket.setSoTimeout(10_000);
                RawHttp.Reader in = new RawHttp.Reader(socket.getInputStream());
                for (int i = 0; i < requests.length; i++)
                {
                    String[] r = requests[i];
                    String wire = "GET /echo HTTP/1.1\r\nHost: " + r[1] + ":" + target + "\r\n" +
                        (r[0] == null ? "" : "User-Agent: " + r[0] + "\r\n") + "\r\n";
                    socket.getOutputStream().write(wire.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    socket.getOutputStream().flush();
                    RawHttp.Response response = RawHttp.readResponse(in, "GET");
                    assertEquals(r[0] + "|" + r[1] + ":P|" + r[1], new String(response.body, java.nio.charset.StandardCharsets.ISO_8859_1),
                        (which == 0 ? "HttpSysConnector" : "ServerConnector") + " request " + i);
                }
            }
        }
    }
}
