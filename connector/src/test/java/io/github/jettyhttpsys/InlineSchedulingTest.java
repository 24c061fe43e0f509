package io.github.jettyhttpsys;

import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With preferInlineScheduling a handler runs on the completion thread that received its request, but never
 * on the last free one: handlers that block on writes whose sends pend (slow readers) still finish, since
 * a completion thread is always left to deliver their completions.
 */
public class InlineSchedulingTest
{
    private Server server;
    private HttpSysConnector connector;
    private int port;
    private final Set<String> threads = ConcurrentHashMap.newKeySet();
    private final Set<String> bigThreads = ConcurrentHashMap.newKeySet();
    private static final int BIG_WRITES = 64; // 16 MiB: more than the socket buffers hold, so sends pend

    private void start(boolean inline, int completionThreads) throws Exception
    {
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        connector.setPreferInlineScheduling(inline);
        connector.setCompletionThreads(completionThreads);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                threads.add(Thread.currentThread().getName());
                if (Request.getPathInContext(request).equals("/big"))
                {
                    bigThreads.add(Thread.currentThread().getName());
                    // Blocking writes of 4 MiB: with a client that reads slowly, sends pend and their
                    // completions must come from another completion thread.
                    byte[] chunk = new byte[256 * 1024];
                    java.util.Arrays.fill(chunk, (byte)'x');
                    for (int i = 0; i < BIG_WRITES; i++)
                    {
                        try (Blocker.Callback b = Blocker.callback())
                        {
                            response.write(i == BIG_WRITES - 1, ByteBuffer.wrap(chunk), b);
                            b.block();
                        }
                    }
                    callback.succeeded();
                    return true;
                }
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
        server.start();
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        TestSupport.assertNothingLeaked();
    }

    @Test
    public void handlersRunOnACompletionThreadWhenOneCanBeSpared() throws Exception
    {
        start(true, 2);
        for (int i = 0; i < 20; i++)
        {
            RawHttp.Exchange x = RawHttp.exchange(port, "GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", List.of("GET"), 0);
            assertNull(x.failure, x.toString());
            assertEquals("ok", x.get(0).body());
        }
        assertTrue(threads.stream().anyMatch(t -> t.contains("-iocp-")), "ran inline: " + threads);
    }

    @Test
    public void neverWithOneCompletionThreadOrWhenOff() throws Exception
    {
        start(true, 1);
        RawHttp.Exchange x = RawHttp.exchange(port, "GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", List.of("GET"), 0);
        assertEquals("ok", x.get(0).body());
        assertFalse(threads.stream().anyMatch(t -> t.contains("-iocp-")), "the only completion thread never runs a handler: " + threads);
    }

    @Test
    public void blockingHandlersWithPendingSendsAllFinish() throws Exception
    {
        start(true, 2);
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try
        {
            List<Future<Long>> reads = new java.util.ArrayList<>();
            for (int c = 0; c < 4; c++)
            {
                reads.add(clients.submit(() ->
                {
                    try (Socket s = new Socket("127.0.0.1", port))
                    {
                        s.setReceiveBufferSize(16 * 1024);
                        s.setSoTimeout(20_000);
                        s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        Thread.sleep(1500); // not reading yet: the handlers block in writes whose sends pend
                        InputStream in = s.getInputStream();
                        byte[] b = new byte[65536];
                        long total = 0;
                        for (int n; (n = in.read(b)) >= 0; )
                            total += n;
                        return total;
                    }
                }));
            }
            for (Future<Long> f : reads)
                assertTrue(f.get(30, TimeUnit.SECONDS) > BIG_WRITES * 256L * 1024, "whole response read");
            assertTrue(bigThreads.stream().anyMatch(t -> t.contains("-iocp-")), "one ran inline: " + bigThreads);
        }
        finally
        {
            clients.shutdownNow();
        }
    }
}
