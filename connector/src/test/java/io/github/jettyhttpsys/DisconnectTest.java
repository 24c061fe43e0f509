package io.github.jettyhttpsys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.jettyhttpsys.emulator.HttpEmu;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The connector's defining feature: a client that vanishes (RST or FIN) is seen by the application
 * when it happens, through the servlet and Jetty APIs; and a request Jetty aborts is cancelled in
 * HTTP.sys. Every wait is on the event itself, bounded.
 */
public class DisconnectTest
{
    enum Drop
    {
        RST, FIN
    }

    private static final long WAIT = 10;
    private Server server;
    private HttpSysConnector connector;
    private int port;
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch onError = new CountDownLatch(1);
    private final CountDownLatch onComplete = new CountDownLatch(1);
    private final AtomicInteger onErrorCount = new AtomicInteger();

    /** The scheme of the prefix; {@link TlsDisconnectTest} runs every case over TLS. */
    protected String scheme()
    {
        return "http";
    }

    /** Called with the port before the server starts (a certificate binding for https). */
    protected void beforeStart(int port) throws Exception
    {
    }

    /** Called after the server stopped. */
    protected void afterStop()
    {
    }

    /** A client connection to the server. */
    protected Socket connect(int port) throws IOException
    {
        return new Socket("127.0.0.1", port);
    }

    private void start(Handler handler, boolean eager) throws Exception
    {
        port = TestSupport.freePort();
        beforeStart(port);
        server = new Server();
        connector = new HttpSysConnector(server, scheme() + "://127.0.0.1:" + port + "/");
        connector.setEagerDisconnectWait(eager);
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
    }

    private void startServlet(HttpServlet servlet) throws Exception
    {
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(servlet), "/*");
        start(context, false);
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        afterStop();
        TestSupport.assertNothingLeaked();
    }

    private Socket send(String request) throws IOException
    {
        Socket s = connect(port);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return s;
    }

    private String get(String path)
    {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n";
    }

    private static void drop(Socket s, Drop how) throws IOException
    {
        if (how == Drop.RST)
            s.setSoLinger(true, 0);
        s.close();
    }

    /** An async servlet that parks the request (no I/O pending) and records its listener's events. */
    private class ParkingServlet extends HttpServlet
    {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp)
        {
            if (req.getRequestURI().startsWith("/quick"))
            {
                resp.setContentLength(2);
                try
                {
                    resp.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
                }
                catch (IOException x)
                {
                    throw new RuntimeException(x);
                }
                return;
            }
            AsyncContext async = req.startAsync();
            async.setTimeout(0);
            async.addListener(new AsyncListener()
            {
                @Override
                public void onComplete(AsyncEvent event)
                {
                    onComplete.countDown();
                }

                @Override
                public void onTimeout(AsyncEvent event)
                {
                }

                @Override
                public void onError(AsyncEvent event)
                {
                    errors.add(event.getThrowable());
                    onErrorCount.incrementAndGet();
                    onError.countDown();
                    event.getAsyncContext().complete();
                }

                @Override
                public void onStartAsync(AsyncEvent event)
                {
                }
            });
            started.countDown();
        }
    }

    private static Throwable eofIn(Throwable x)
    {
        for (Throwable t = x; t != null; t = t.getCause())
        {
            if (t instanceof EofException)
                return t;
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void asyncListenerOnErrorOnceWhenClientDropsParkedRequest(Drop how) throws Exception
    {
        startServlet(new ParkingServlet());
        Socket s = send(get("/poll"));
        assertTrue(started.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        assertTrue(onError.await(WAIT, TimeUnit.SECONDS), "AsyncListener.onError not called");
        assertTrue(onComplete.await(WAIT, TimeUnit.SECONDS), "async cycle did not complete");
        assertEquals(1, onErrorCount.get());
        assertInstanceOf(EofException.class, eofIn(errors.get(0)));
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void longPollOnKeepAliveConnectionAfterACompletedRequest(Drop how) throws Exception
    {
        startServlet(new ParkingServlet());
        Socket s = send(get("/quick"));
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        StringBuilder first = new StringBuilder();
        while (!first.toString().endsWith("ok"))
        {
            int n = in.read(buf);
            assertTrue(n > 0);
            first.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        }
        s.getOutputStream().write(get("/poll").getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(started.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        assertTrue(onError.await(WAIT, TimeUnit.SECONDS));
        assertTrue(onComplete.await(WAIT, TimeUnit.SECONDS));
        assertEquals(1, onErrorCount.get());
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void blockedServletInputStreamReadThrowsWhenUploaderDrops(Drop how) throws Exception
    {
        CountDownLatch threw = new CountDownLatch(1);
        startServlet(new HttpServlet()
        {
            @Override
            protected void doPost(HttpServletRequest req, HttpServletResponse resp)
            {
                try
                {
                    InputStream in = req.getInputStream();
                    byte[] b = new byte[1024];
                    started.countDown();
                    while (in.read(b) >= 0)
                    {
                        // keep reading until the client vanishes
                    }
                }
                catch (IOException x)
                {
                    errors.add(x);
                    threw.countDown();
                }
            }
        });
        Socket s = send("POST /up HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(2000));
        assertTrue(started.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        assertTrue(threw.await(WAIT, TimeUnit.SECONDS), "blocked read did not throw");
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void asyncReadListenerOnErrorWhenUploaderDrops(Drop how) throws Exception
    {
        startServlet(new HttpServlet()
        {
            @Override
            protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                AsyncContext async = req.startAsync();
                async.setTimeout(0);
                ServletInputStream in = req.getInputStream();
                in.setReadListener(new ReadListener()
                {
                    @Override
                    public void onDataAvailable() throws IOException
                    {
                        byte[] b = new byte[1024];
                        while (in.isReady() && in.read(b) >= 0)
                            started.countDown();
                    }

                    @Override
                    public void onAllDataRead()
                    {
                        async.complete();
                    }

                    @Override
                    public void onError(Throwable t)
                    {
                        errors.add(t);
                        onError.countDown();
                        async.complete();
                    }
                });
            }
        });
        Socket s = send("POST /up HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(2000));
        assertTrue(started.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        assertTrue(onError.await(WAIT, TimeUnit.SECONDS), "ReadListener.onError not called");
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void blockedServletOutputStreamWriteThrowsWhenDownloaderDrops(Drop how) throws Exception
    {
        CountDownLatch threw = new CountDownLatch(1);
        startServlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp)
            {
                byte[] block = new byte[64 * 1024];
                try
                {
                    OutputStream out = resp.getOutputStream();
                    for (int i = 0; i < 16 * 1024; i++) // 1 GiB at most: the client stops reading long before
                    {
                        out.write(block);
                        started.countDown();
                    }
                }
                catch (IOException x)
                {
                    errors.add(x);
                    threw.countDown();
                }
            }
        });
        Socket s = send(get("/download"));
        assertTrue(started.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        assertTrue(threw.await(WAIT, TimeUnit.SECONDS), "blocked write did not throw");
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void asyncWriteListenerOnErrorWhenDownloaderDrops(Drop how) throws Exception
    {
        startServlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                AsyncContext async = req.startAsync();
                async.setTimeout(0);
                ServletOutputStream out = resp.getOutputStream();
                byte[] block = new byte[64 * 1024];
                out.setWriteListener(new WriteListener()
                {
                    int written;

                    @Override
                    public void onWritePossible() throws IOException
                    {
                        while (out.isReady() && written++ < 16 * 1024)
                        {
                            out.write(block);
                            started.countDown();
                        }
                    }

                    @Override
                    public void onError(Throwable t)
                    {
                        errors.add(t);
                        onError.countDown();
                        async.complete();
                    }
                });
            }
        });
        Socket s = send(get("/download"));
        assertTrue(started.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        assertTrue(onError.await(WAIT, TimeUnit.SECONDS), "WriteListener.onError not called");
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void jettyFailureListenerRunsWithEagerWait(Drop how) throws Exception
    {
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                request.addFailureListener(x ->
                {
                    errors.add(x);
                    onError.countDown();
                    callback.failed(x);
                });
                started.countDown();
                return true; // the handler holds the request; the callback completes on failure
            }
        }, true);
        Socket s = send(get("/core"));
        assertTrue(started.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        assertTrue(onError.await(WAIT, TimeUnit.SECONDS), "failure listener not called");
        assertInstanceOf(EofException.class, eofIn(errors.get(0)));
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void disconnectAfterTheResponseCompletedFiresNothing(Drop how) throws Exception
    {
        CountDownLatch asyncDone = new CountDownLatch(1);
        startServlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp)
            {
                AsyncContext async = req.startAsync();
                async.addListener(new AsyncListener()
                {
                    public void onComplete(AsyncEvent e)
                    {
                        asyncDone.countDown();
                    }

                    public void onTimeout(AsyncEvent e)
                    {
                    }

                    public void onError(AsyncEvent e)
                    {
                        onErrorCount.incrementAndGet();
                    }

                    public void onStartAsync(AsyncEvent e)
                    {
                    }
                });
                // Complete from another thread, after the dispatch returned: the wait is armed (lazy).
                async.start(() ->
                {
                    try
                    {
                        resp.setContentLength(4);
                        resp.getOutputStream().write("done".getBytes(StandardCharsets.US_ASCII));
                    }
                    catch (IOException x)
                    {
                        errors.add(x);
                    }
                    async.complete();
                });
            }
        });
        Socket s = send(get("/later"));
        byte[] buf = new byte[4096];
        StringBuilder got = new StringBuilder();
        while (!got.toString().endsWith("done"))
        {
            int n = s.getInputStream().read(buf);
            assertTrue(n > 0);
            got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        }
        assertTrue(asyncDone.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        // Fence: the emulator has closed the connection and completed its wait, and the connector
        // has processed that completion (no tracked connection left).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while ((TestSupport.emulatorConnections() > 0 || connector.getTrackedConnections() > 0) && System.nanoTime() < deadline)
            Thread.onSpinWait();
        assertEquals(0, connector.getTrackedConnections());
        assertEquals(0, onErrorCount.get(), "a completed request must ignore the disconnect");
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @ParameterizedTest
    @EnumSource(Drop.class)
    public void clientAlreadyGoneWhenTheRequestGoesAsync(Drop how) throws Exception
    {
        CountDownLatch dropped = new CountDownLatch(1);
        ParkingServlet parking = new ParkingServlet();
        startServlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws java.io.IOException, jakarta.servlet.ServletException
            {
                try
                {
                    started.countDown();
                    assertTrue(dropped.await(WAIT, TimeUnit.SECONDS));
                }
                catch (InterruptedException x)
                {
                    throw new RuntimeException(x);
                }
                parking.doGet(req, resp);
            }
        });
        Socket s = send(get("/late"));
        assertTrue(started.await(WAIT, TimeUnit.SECONDS));
        drop(s, how);
        if (how == Drop.RST)
        {
            // The emulator has seen the reset before the request goes async.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
            while (TestSupport.emulatorConnections() > 0 && System.nanoTime() < deadline)
                Thread.onSpinWait();
        }
        dropped.countDown();
        assertTrue(onError.await(WAIT, TimeUnit.SECONDS), "onError not called for a client already gone");
        assertTrue(onComplete.await(WAIT, TimeUnit.SECONDS));
    }

    @Test
    public void serverSideAbortResetsTheClientAndCancelsTheNativeRequest() throws Exception
    {
        startServlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                resp.setContentLength(1000);
                resp.getOutputStream().write(new byte[100]);
                resp.flushBuffer(); // committed
                throw new IllegalStateException("application failure after commit");
            }
        });
        long cancels = HttpEmu.isAvailable() ? HttpEmu.callCount("HttpCancelHttpRequest") : 0;
        try (Socket s = send(get("/abort")))
        {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            int total = 0;
            boolean reset = false;
            try
            {
                for (int n; (n = in.read(buf)) >= 0; )
                    total += n;
            }
            catch (IOException x)
            {
                reset = true;
            }
            assertTrue(reset || total < 1000 + 100, "the client must not see a complete response (" + total + " bytes)");
        }
        if (HttpEmu.isAvailable())
            assertTrue(HttpEmu.callCount("HttpCancelHttpRequest") > cancels, "HttpCancelHttpRequest not called");
    }

    @Test
    public void thousandDisconnectsInARowLeaveNothingBehind() throws Exception
    {
        Semaphore parked = new Semaphore(0);
        AtomicInteger errorsSeen = new AtomicInteger();
        Semaphore errored = new Semaphore(0);
        startServlet(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp)
            {
                AsyncContext async = req.startAsync();
                async.setTimeout(0);
                async.addListener(new AsyncListener()
                {
                    public void onComplete(AsyncEvent e)
                    {
                    }

                    public void onTimeout(AsyncEvent e)
                    {
                    }

                    public void onError(AsyncEvent e)
                    {
                        errorsSeen.incrementAndGet();
                        e.getAsyncContext().complete();
                        errored.release();
                    }

                    public void onStartAsync(AsyncEvent e)
                    {
                    }
                });
                parked.release();
            }
        });
        // Warm up so the pools exist before counting threads.
        for (int i = 0; i < 20; i++)
        {
            Socket s = send(get("/warm"));
            assertTrue(parked.tryAcquire(WAIT, TimeUnit.SECONDS));
            drop(s, Drop.RST);
            assertTrue(errored.tryAcquire(WAIT, TimeUnit.SECONDS));
        }
        int threadsBefore = Thread.activeCount();
        for (int i = 0; i < 1000; i++)
        {
            Socket s = send(get("/poll" + i));
            assertTrue(parked.tryAcquire(WAIT, TimeUnit.SECONDS), "request " + i + " not parked");
            drop(s, Drop.RST);
        }
        assertTrue(errored.tryAcquire(1000, 30, TimeUnit.SECONDS), "onError calls: " + errorsSeen.get());
        if (HttpEmu.isAvailable())
        {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
            HttpEmu.Counters c = HttpEmu.counters();
            while ((c.connections() > 0 || c.requests() > 0) && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
                c = HttpEmu.counters();
            }
            assertEquals(0, c.connections(), c.toString());
            assertEquals(0, c.requests(), c.toString());
        }
        // onError runs before the request completes: wait for the last completions, bounded.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (connector.getActiveRequests() > 0 && System.nanoTime() < until)
            Thread.sleep(2);
        assertEquals(0, connector.getActiveRequests());
        // The thread pool may grow a little under load; no thread per connection or request.
        assertTrue(Thread.activeCount() <= threadsBefore + 8, "threads " + threadsBefore + " -> " + Thread.activeCount());
        assertFalse(errorsSeen.get() > 1020);
    }
}
