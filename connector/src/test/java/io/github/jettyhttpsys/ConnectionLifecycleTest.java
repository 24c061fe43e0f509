package io.github.jettyhttpsys;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ConnectionStatistics;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One connection object per HTTP.sys connection with Jetty's connection lifecycle, and the order of
 * start and stop: nothing is received before the server can run it, a graceful shutdown answers new
 * requests with 503 at once, and a stop during a handler leaves nothing behind.
 */
public class ConnectionLifecycleTest
{
    private static final int WAIT = 10;

    private Server server;
    private HttpSysConnector connector;
    private int port;

    private void start(Handler handler) throws Exception
    {
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
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

    private static void await(BooleanSupplier condition, String what) throws InterruptedException
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
                throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(2);
        }
    }

    @Test
    public void oneConnectionObjectForAllRequestsOfAConnection() throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Connection c = request.getConnectionMetaData().getConnection();
                Object seen = request.getConnectionMetaData().getAttribute("mark");
                if (seen == null)
                    request.getConnectionMetaData().setAttribute("mark", "from-request-" + c.getMessagesIn());
                Content.Sink.write(response, true, c.getMessagesIn() + ":" + seen + ":" + System.identityHashCode(c), callback);
                return true;
            }
        });
        RawHttp.Exchange x = RawHttp.exchange(port, get("/1") + get("/2") + get("/3"), List.of("GET", "GET", "GET"), 100);
        assertNull(x.failure, x.toString());
        String[] r1 = x.get(0).body().split(":");
        String[] r2 = x.get(1).body().split(":");
        String[] r3 = x.get(2).body().split(":");
        assertEquals("1", r1[0]);
        assertEquals("2", r2[0]);
        assertEquals("3", r3[0]);
        assertEquals("null", r1[1]);
        assertEquals("from-request-1", r2[1], "a connection attribute set on request 1 is seen by request 2");
        assertEquals("from-request-1", r3[1]);
        assertEquals(r1[2], r2[2]);
        assertEquals(r1[2], r3[2]);
    }

    @Test
    public void connectionListenersAndStatisticsSeeEveryConnectionOpenAndClose() throws Exception
    {
        ConnectionStatistics stats = new ConnectionStatistics();
        List<String> events = new CopyOnWriteArrayList<>();
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        connector.addBean(stats);
        connector.addBean(new Connection.Listener()
        {
            @Override
            public void onOpened(Connection connection)
            {
                events.add("open " + connection.getEndPoint().getRemoteSocketAddress());
            }

            @Override
            public void onClosed(Connection connection)
            {
                events.add("close " + connection.getEndPoint().getRemoteSocketAddress() + " " + connection.getMessagesIn());
            }
        });
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
        server.start();
        try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port))
        {
            a.setSoTimeout(WAIT * 1000);
            b.setSoTimeout(WAIT * 1000);
            a.getOutputStream().write((get("/a1") + get("/a2")).getBytes(StandardCharsets.US_ASCII));
            RawHttp.Exchange xa = RawHttp.read(a, List.of("GET", "GET"), 50);
            b.getOutputStream().write(get("/b1").getBytes(StandardCharsets.US_ASCII));
            RawHttp.Exchange xb = RawHttp.read(b, List.of("GET"), 50);
            assertNull(xa.failure, xa.toString());
            assertNull(xb.failure, xb.toString());
            assertEquals(2, connector.getConnectedEndPoints().size(), "idle keep-alive connections are tracked");
            assertEquals(2, stats.getConnections());
        }
        await(() -> stats.getConnections() == 0, "both connections closed");
        assertEquals(2, stats.getConnectionsTotal());
        assertEquals(3, stats.getReceivedMessages());
        assertEquals(0, connector.getConnectedEndPoints().size());
        assertEquals(4, events.size(), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("close") && e.endsWith(" 2")), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("close") && e.endsWith(" 1")), events.toString());
    }

    @Test
    public void requestArrivingWhileTheServerStartsIsServedOnceItRuns() throws Exception
    {
        CountDownLatch starting = new CountDownLatch(1);
        CountDownLatch letStart = new CountDownLatch(1);
        // Server.start() opens network connectors before it starts its thread pool; hold the pool's
        // start so a request arrives while nothing could run it yet.
        org.eclipse.jetty.util.thread.QueuedThreadPool pool = new org.eclipse.jetty.util.thread.QueuedThreadPool()
        {
            @Override
            protected void doStart() throws Exception
            {
                starting.countDown();
                assertTrue(letStart.await(WAIT, TimeUnit.SECONDS));
                super.doStart();
            }
        };
        port = TestSupport.freePort();
        server = new Server(pool);
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, "served", callback);
                return true;
            }
        });
        CompletableFuture<Void> started = CompletableFuture.runAsync(() ->
        {
            try
            {
                server.start();
            }
            catch (Exception x)
            {
                throw new RuntimeException(x);
            }
        });
        assertTrue(starting.await(WAIT, TimeUnit.SECONDS));
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(WAIT * 1000);
            s.getOutputStream().write(get("/early").getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(200); // the request waits in the queue while start() runs
            letStart.countDown();
            started.get(WAIT, TimeUnit.SECONDS);
            RawHttp.Exchange x = RawHttp.read(s, List.of("GET"), 50);
            assertNull(x.failure, x.toString());
            assertEquals(200, x.get(0).status, x.toString());
            assertEquals("served", x.get(0).body());
        }
    }

    @Test
    public void gracefulShutdownAnswersNewRequestsWith503AtOnceWhileInFlightOnesFinish() throws Exception
    {
        CountDownLatch inFlight = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                if (request.getHttpURI().getPath().equals("/slow"))
                {
                    inFlight.countDown();
                    new Thread(() ->
                    {
                        try
                        {
                            release.await(WAIT, TimeUnit.SECONDS);
                        }
                        catch (InterruptedException ignored)
                        {
                        }
                        Content.Sink.write(response, true, "finished", callback);
                    }).start();
                    return true;
                }
                Content.Sink.write(response, true, "new", callback);
                return true;
            }
        });
        server.setStopTimeout(WAIT * 1000);
        try (Socket slow = new Socket("127.0.0.1", port); Socket idle = new Socket("127.0.0.1", port))
        {
            slow.setSoTimeout(WAIT * 1000);
            idle.setSoTimeout(WAIT * 1000);
            idle.getOutputStream().write(get("/warm").getBytes(StandardCharsets.US_ASCII));
            assertEquals("new", RawHttp.read(idle, List.of("GET"), 50).get(0).body());
            slow.getOutputStream().write(get("/slow").getBytes(StandardCharsets.US_ASCII));
            assertTrue(inFlight.await(WAIT, TimeUnit.SECONDS));
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() ->
            {
                try
                {
                    server.stop();
                }
                catch (Exception x)
                {
                    throw new RuntimeException(x);
                }
            });
            await(connector::isShutdown, "shutdown to begin");
            // A new connection and a kept-alive one both get 503 at once, not a reset later.
            for (int i = 0; i < 2; i++)
            {
                long t0 = System.nanoTime();
                RawHttp.Exchange fresh = RawHttp.exchange(port, get("/new"), List.of("GET"), 50);
                assertEquals(503, fresh.get(0).status, fresh.toString());
                assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2000, "503 at once");
            }
            idle.getOutputStream().write(get("/again").getBytes(StandardCharsets.US_ASCII));
            RawHttp.Exchange again = RawHttp.read(idle, List.of("GET"), 50);
            assertEquals(503, again.get(0).status, again.toString());
            release.countDown();
            RawHttp.Exchange finished = RawHttp.read(slow, List.of("GET"), 50);
            assertEquals("finished", finished.get(0).body(), finished.toString());
            stopped.get(WAIT, TimeUnit.SECONDS);
        }
    }

    @Test
    public void stopWhileAHandlerRunsFailsItsIoCleanly() throws Exception
    {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch stopping = new CountDownLatch(1);
        CompletableFuture<Throwable> writeResult = new CompletableFuture<>();
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                running.countDown();
                new Thread(() ->
                {
                    try
                    {
                        stopping.await(WAIT, TimeUnit.SECONDS);
                        Thread.sleep(300); // the connector stops meanwhile
                    }
                    catch (InterruptedException ignored)
                    {
                    }
                    Callback done = Callback.from(() -> writeResult.complete(null), writeResult::complete);
                    response.write(true, java.nio.ByteBuffer.wrap("late".getBytes(StandardCharsets.US_ASCII)), Callback.combine(done, callback));
                }).start();
                return true;
            }
        });
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(WAIT * 1000);
            s.getOutputStream().write(get("/late").getBytes(StandardCharsets.US_ASCII));
            assertTrue(running.await(WAIT, TimeUnit.SECONDS));
            stopping.countDown();
            server.stop();
            Throwable x = writeResult.get(WAIT, TimeUnit.SECONDS);
            // The write fails with an I/O failure (or was never started), never a NullPointerException.
            assertTrue(x == null || x instanceof IOException || x instanceof IllegalStateException, String.valueOf(x));
            try
            {
                RawHttp.Exchange e = RawHttp.read(s, List.of("GET"), 50);
                assertTrue(e.responses.isEmpty() || e.failure != null || e.closed, e.toString());
            }
            catch (IOException ignored)
            {
                // reset: expected
            }
        }
        await(() -> connector.getActiveRequests() == 0, "the request to complete after the stop");
    }

    @Test
    public void aStoppedConnectorClosesItsConnectionsForJetty() throws Exception
    {
        ConnectionStatistics stats = new ConnectionStatistics();
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        connector.addBean(stats);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
        server.start();
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(WAIT * 1000);
            s.getOutputStream().write(get("/").getBytes(StandardCharsets.US_ASCII));
            assertEquals("ok", RawHttp.read(s, List.of("GET"), 50).get(0).body());
            assertEquals(1, stats.getConnections());
            HttpSysConnection c = connectionOf(connector);
            server.stop();
            assertEquals(0, stats.getConnections(), "an idle connection closed by stop is closed for Jetty too");
            assertEquals(0, connector.getConnectedEndPoints().size());
            assertSame(null, connectionOf(connector), String.valueOf(c));
        }
    }

    private static HttpSysConnection connectionOf(HttpSysConnector connector)
    {
        return connector.getConnectedEndPoints().stream()
            .map(e -> (HttpSysConnection)((HttpSysEndPoint)e).getConnection()).findFirst().orElse(null);
    }
}
