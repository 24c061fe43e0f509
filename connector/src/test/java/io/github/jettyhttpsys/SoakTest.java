package io.github.jettyhttpsys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.jettyhttpsys.emulator.HttpEmu;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bounded soak: a few seconds of keep-alive, async, upload and download requests mixed with client
 * aborts at every phase (half-sent head, after the request, during an async wait, mid-upload,
 * mid-download; RST and FIN). Afterwards every request has completed exactly once, every async
 * request saw {@code onComplete}, no healthy request failed, and nothing is left native or active.
 */
public class SoakTest
{
    private static final long LOAD_MS = Long.getLong("soak.ms", 4000);
    private static final int CLIENTS = 4;

    private Server server;
    private HttpSysConnector connector;
    private int port;
    private ScheduledExecutorService timer;

    private final AtomicLong asyncStarted = new AtomicLong();
    private final AtomicLong asyncCompleted = new AtomicLong();
    private final AtomicLong healthy = new AtomicLong();
    private final AtomicLong aborts = new AtomicLong();
    private final ConcurrentLinkedQueue<String> healthyFailures = new ConcurrentLinkedQueue<>();

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        if (timer != null)
            timer.shutdownNow();
        TestSupport.assertNothingLeaked();
    }

    private void start() throws Exception
    {
        timer = Executors.newSingleThreadScheduledExecutor();
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(new HttpServlet()
        {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                switch (req.getPathInfo())
                {
                    case "/async" ->
                    {
                        AsyncContext async = req.startAsync();
                        async.setTimeout(20_000);
                        asyncStarted.incrementAndGet();
                        async.addListener(new AsyncListener()
                        {
                            public void onComplete(AsyncEvent e)
                            {
                                asyncCompleted.incrementAndGet();
                            }

                            public void onTimeout(AsyncEvent e)
                            {
                                e.getAsyncContext().complete();
                            }

                            public void onError(AsyncEvent e)
                            {
                                e.getAsyncContext().complete();
                            }

                            public void onStartAsync(AsyncEvent e)
                            {
                            }
                        });
                        timer.schedule(() ->
                        {
                            try
                            {
                                async.getResponse().getOutputStream().write("async".getBytes(StandardCharsets.US_ASCII));
                            }
                            catch (Exception ignored)
                            {
                                // the client left
                            }
                            try
                            {
                                async.complete();
                            }
                            catch (IllegalStateException ignored)
                            {
                                // already completed by onError
                            }
                        }, ThreadLocalRandom.current().nextInt(4), TimeUnit.MILLISECONDS);
                    }
                    case "/upload" -> resp.getWriter().write(String.valueOf(req.getInputStream().readAllBytes().length));
                    case "/big" ->
                    {
                        byte[] chunk = new byte[16 * 1024];
                        for (int i = 0; i < 64; i++)
                            resp.getOutputStream().write(chunk);
                    }
                    default -> resp.getWriter().write("sync");
                }
            }
        }), "/*");
        server.setHandler(context);
        server.start();
    }

    private String req(String method, String path, int length)
    {
        return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" + (length >= 0 ? "Content-Length: " + length + "\r\n" : "") + "\r\n";
    }

    private static void drop(Socket s, boolean rst)
    {
        try
        {
            if (rst)
                s.setSoLinger(true, 0);
            s.close();
        }
        catch (IOException ignored)
        {
        }
    }

    private void check(Socket s, String method, String expected, String what) throws IOException
    {
        RawHttp.Exchange x = RawHttp.read(s, List.of(method), 0);
        if (x.failure != null || x.responses.isEmpty() || x.get(0).status != 200 || !x.get(0).body().equals(expected))
            healthyFailures.add(what + ": " + x);
        else
            healthy.incrementAndGet();
    }

    private void client(long deadline)
    {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Socket s = null;
        while (System.currentTimeMillis() < deadline)
        {
            try
            {
                if (s == null)
                {
                    s = new Socket("127.0.0.1", port);
                    s.setSoTimeout(10_000);
                }
                OutputStream out = s.getOutputStream();
                int pick = Integer.getInteger("soak.pick", -1) >= 0 ? Integer.getInteger("soak.pick") : random.nextInt(Integer.getInteger("soak.bound", 12));
                boolean rst = random.nextBoolean();
                switch (pick)
                {
                    case 0, 1, 2 ->
                    {
                        out.write(req("GET", "/sync", -1).getBytes(StandardCharsets.US_ASCII));
                        check(s, "GET", "sync", "sync");
                    }
                    case 3, 4 ->
                    {
                        out.write(req("GET", "/async", -1).getBytes(StandardCharsets.US_ASCII));
                        check(s, "GET", "async", "async");
                    }
                    case 5 ->
                    {
                        byte[] body = new byte[10_000];
                        out.write(req("POST", "/upload", body.length).getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                        check(s, "POST", "10000", "upload");
                    }
                    case 6 ->
                    {
                        // abort inside the head
                        out.write(("GET /sync HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Half:").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        drop(s, rst);
                        s = null;
                        aborts.incrementAndGet();
                    }
                    case 7, 8 ->
                    {
                        // abort during the async wait, right away or a little later
                        out.write(req("GET", "/async", -1).getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        if (pick == 8)
                            Thread.sleep(random.nextInt(3));
                        drop(s, rst);
                        s = null;
                        aborts.incrementAndGet();
                    }
                    case 9 ->
                    {
                        // abort mid-upload
                        out.write(req("POST", "/upload", 100_000).getBytes(StandardCharsets.US_ASCII));
                        out.write(new byte[random.nextInt(50_000)]);
                        out.flush();
                        drop(s, rst);
                        s = null;
                        aborts.incrementAndGet();
                    }
                    case 10 ->
                    {
                        // abort mid-download
                        out.write(req("GET", "/big", -1).getBytes(StandardCharsets.US_ASCII));
                        InputStream in = s.getInputStream();
                        in.readNBytes(random.nextInt(1, 200_000));
                        drop(s, rst);
                        s = null;
                        aborts.incrementAndGet();
                    }
                    default ->
                    {
                        // a whole download, then a fresh connection
                        out.write(req("GET", "/big", -1).getBytes(StandardCharsets.US_ASCII));
                        RawHttp.Exchange x = RawHttp.read(s, List.of("GET"), 0);
                        if (x.failure != null || x.responses.isEmpty() || x.get(0).body.length != 64 * 16 * 1024)
                            healthyFailures.add("big: " + x.failure);
                        else
                            healthy.incrementAndGet();
                        drop(s, false);
                        s = null;
                    }
                }
            }
            catch (IOException | InterruptedException x)
            {
                healthyFailures.add("client I/O: " + x);
                if (s != null)
                    drop(s, true);
                s = null;
            }
        }
        if (s != null)
            drop(s, false);
    }

    @Test
    public void everyRequestCompletesOnceUnderAbortsAtEveryPhase() throws Exception
    {
        start();
        int threadsBefore = Thread.activeCount();
        long deadline = System.currentTimeMillis() + LOAD_MS;
        Thread[] clients = new Thread[CLIENTS];
        for (int i = 0; i < CLIENTS; i++)
        {
            clients[i] = new Thread(() -> client(deadline), "soak-client-" + i);
            clients[i].start();
        }
        for (Thread t : clients)
            t.join(LOAD_MS + 30_000);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while ((connector.getActiveRequests() > 0 || asyncStarted.get() != asyncCompleted.get()) && System.nanoTime() < end)
            Thread.sleep(10);
        System.out.printf("soak: %d healthy requests, %d aborts, %d async (%d completed), %d healthy failures%n",
            healthy.get(), aborts.get(), asyncStarted.get(), asyncCompleted.get(), healthyFailures.size());
        assertTrue(healthyFailures.isEmpty(), healthyFailures.size() + " healthy requests failed, first: " + healthyFailures.peek());
        assertEquals(0, connector.getActiveRequests(), "requests never completed");
        assertEquals(asyncStarted.get(), asyncCompleted.get(), "async requests without onComplete");
        assertTrue(healthy.get() > 100 && aborts.get() > 50, "load too small: " + healthy + "/" + aborts);
        if (HttpEmu.isAvailable())
        {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            HttpEmu.Counters c = HttpEmu.counters();
            while ((c.connections() > 0 || c.requests() > 0) && System.nanoTime() < until)
            {
                Thread.sleep(10);
                c = HttpEmu.counters();
            }
            assertEquals(0, c.requests(), c.toString());
            assertEquals(0, c.connections(), c.toString());
        }
        // The last disconnect-wait completions may still be on their way from the port: bounded wait.
        long retired = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (connector.getTrackedConnections() > 0 && System.nanoTime() < retired)
            Thread.sleep(10);
        assertEquals(0, connector.getTrackedConnections(), "connections still tracked after every client left");
        assertTrue(Thread.activeCount() <= threadsBefore + 16, "threads " + threadsBefore + " -> " + Thread.activeCount());
    }
}
