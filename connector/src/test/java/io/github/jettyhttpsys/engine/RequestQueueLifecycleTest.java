package io.github.jettyhttpsys.engine;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.jettyhttpsys.emulator.HttpEmu;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's start and stop edges: no receive is issued once receiving stopped, also when the stop
 * comes between a completion and the re-issue of its receive; an operation that never completes
 * stays reachable (never freed) after its port closed.
 */
public class RequestQueueLifecycleTest
{
    private RequestQueue queue;
    private ExecutorService executor;

    @AfterEach
    public void close()
    {
        if (queue != null)
            queue.close();
        if (executor != null)
            executor.shutdownNow();
        if (HttpEmu.isAvailable())
        {
            HttpEmu.Counters c = HttpEmu.awaitAllZero(java.time.Duration.ofSeconds(10));
            assertTrue(c.allZero(), c.toString());
        }
    }

    @Test
    public void aReceiveIsNotReissuedOnceReceivingStopped() throws Exception
    {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0))
        {
            port = free.getLocalPort();
        }
        RequestQueueConfig config = new RequestQueueConfig();
        config.urlPrefixes = List.of("http://127.0.0.1:" + port + "/");
        config.receiveConcurrency = 1;
        AtomicInteger received = new AtomicInteger();
        CountDownLatch first = new CountDownLatch(1);
        executor = Executors.newFixedThreadPool(2);
        RequestQueue[] self = new RequestQueue[1];
        // The stop comes inside the completion of the first request: after it completed, before its
        // receive would be issued again (the window in which a re-issued receive used to take a request).
        queue = new RequestQueue(config, view ->
        {
            received.incrementAndGet();
            self[0].stopReceiving();
            first.countDown();
            return null;
        }, executor);
        self[0] = queue;
        queue.open("stop");
        queue.startReceiving((task, ms) -> executor.execute(task));
        String get = "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n";
        try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port))
        {
            a.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
            assertTrue(first.await(10, TimeUnit.SECONDS));
            b.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(500);
            assertEquals(1, received.get(), "a request was taken after receiving stopped");
            assertEquals(0, queue.port().pendingCount(), "no receive is left pending");
        }
    }

    @Test
    public void anOperationThatNeverCompletesIsKeptAfterItsPortCloses()
    {
        CompletionPort port = new CompletionPort("abandon", 1);
        SimpleOp op = new SimpleOp(16);
        int before = NativeOp.abandonedCount();
        // A call that the "kernel" accepted and never completes.
        assertEquals(Layout.ERROR_IO_PENDING, port.issue(op, o -> Layout.ERROR_IO_PENDING));
        op.free(); // deferred: it is pending
        port.close();
        assertEquals(before + 1, NativeOp.abandonedCount());
        assertTrue(op.isPending());
        assertFalse(op.isFreed(), "the block the kernel may still write into is never freed");
    }
}
