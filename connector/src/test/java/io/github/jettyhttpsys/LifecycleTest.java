package io.github.jettyhttpsys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Graceful shutdown, Jetty's idle timeout, and a large upload that is streamed, not buffered.
 */
public class LifecycleTest
{
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

    private Socket get(String path) throws IOException
    {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(20_000);
        s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    private static String readAll(Socket s)
    {
        return readUntil(s, "done");
    }

    /** Reads until the response ends with {@code end} (or its head is complete when end is null), a close or a reset. */
    private static String readUntil(Socket s, String end)
    {
        StringBuilder sb = new StringBuilder();
        try
        {
            InputStream in = s.getInputStream();
            byte[] b = new byte[4096];
            for (int n; (n = in.read(b)) > 0; )
            {
                sb.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
                if (sb.indexOf("\r\n\r\n") > 0 && (end == null || sb.toString().endsWith(end)))
                    break;
            }
        }
        catch (IOException x)
        {
            sb.append("<reset>");
        }
        return sb.toString();
    }

    @Test
    public void gracefulStopLetsInFlightRequestsFinishThenCancelsTheRest() throws Exception
    {
        CountDownLatch inFlight = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                inFlight.countDown();
                if (request.getHttpURI().getPath().equals("/finishes"))
                {
                    new Thread(() ->
                    {
                        try
                        {
                            release.await(20, TimeUnit.SECONDS);
                        }
                        catch (InterruptedException ignored)
                        {
                        }
                        Content.Sink.write(response, true, "done", callback);
                    }).start();
                }
                // "/hangs" never completes: the stop timeout cancels it
                return true;
            }
        });
        server.setStopTimeout(3000);
        Socket finishes = get("/finishes");
        Socket hangs = get("/hangs");
        assertTrue(inFlight.await(10, TimeUnit.SECONDS));
        CompletableFuture<Throwable> stopped = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                server.stop();
                return null;
            }
            catch (Throwable x)
            {
                return x; // Jetty reports the graceful period that ran out (the hung request)
            }
        });
        // Shutdown has begun: no new request is taken.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (connector.isOpen() && System.nanoTime() < deadline)
            Thread.onSpinWait();
        assertTrue(!connector.isOpen(), "still receiving after stop began");
        release.countDown();
        String done = readAll(finishes);
        assertTrue(done.startsWith("HTTP/1.1 200") && done.endsWith("done"), done);
        Throwable stopFailure = stopped.get(20, TimeUnit.SECONDS);
        assertTrue(stopFailure == null || stopFailure instanceof java.util.concurrent.TimeoutException ||
            stopFailure.getCause() instanceof java.util.concurrent.TimeoutException, String.valueOf(stopFailure));
        assertTrue(!server.isRunning() && !connector.isRunning());
        // The request that never completed was cancelled: its client sees the connection end.
        String cancelled = readAll(hangs);
        assertTrue(!cancelled.contains("200"), cancelled);
        finishes.close();
        hangs.close();
        server = null;
    }

    @Test
    public void idleTimeoutFailsARequestWithoutProgress() throws Exception
    {
        CountDownLatch failed = new CountDownLatch(1);
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                request.addFailureListener(x ->
                {
                    if (x instanceof java.util.concurrent.TimeoutException)
                        failed.countDown();
                    callback.failed(x);
                });
                return true; // no I/O, no completion: only the idle timeout ends it
            }
        });
        connector.setIdleTimeout(500);
        try (Socket s = get("/idle"))
        {
            assertTrue(failed.await(10, TimeUnit.SECONDS), "idle timeout did not fire");
            String r = readUntil(s, null);
            assertTrue(r.startsWith("HTTP/1.1 500") || r.contains("<reset>") || r.isEmpty(), r);
        }
    }

    @Test
    public void largeUploadIsStreamedNotBuffered() throws Exception
    {
        AtomicLong received = new AtomicLong();
        start(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                // Read chunk by chunk and drop them: the body never sits in memory.
                new Thread(() ->
                {
                    while (true)
                    {
                        Content.Chunk c = request.read();
                        if (c == null)
                        {
                            CountDownLatch l = new CountDownLatch(1);
                            request.demand(l::countDown);
                            try
                            {
                                l.await();
                            }
                            catch (InterruptedException x)
                            {
                                return;
                            }
                            continue;
                        }
                        received.addAndGet(c.remaining());
                        boolean last = c.isLast();
                        c.release();
                        if (Content.Chunk.isFailure(c))
                        {
                            callback.failed(c.getFailure());
                            return;
                        }
                        if (last)
                            break;
                    }
                    Content.Sink.write(response, true, "got " + received.get(), callback);
                }).start();
                return true;
            }
        });
        long size = 256L * 1024 * 1024;
        long maxBuffered = 0;
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /big HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] block = new byte[1 << 20];
            for (long sent = 0; sent < size; sent += block.length)
            {
                out.write(block);
                if (HttpEmu.isAvailable())
                    maxBuffered = Math.max(maxBuffered, HttpEmu.counters().bufferedBytes());
            }
            out.flush();
            byte[] b = new byte[1024];
            int n = s.getInputStream().read(b);
            String r = new String(b, 0, Math.max(0, n), StandardCharsets.ISO_8859_1);
            assertTrue(r.startsWith("HTTP/1.1 200") && r.endsWith("got " + size), r);
        }
        assertEquals(size, received.get());
        // The emulator holds at most its input and body buffers per connection, never the body.
        assertTrue(maxBuffered < 1 << 20, "buffered in native memory: " + maxBuffered);
    }
}
