package io.github.jettyhttpsys;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.jettyhttpsys.emulator.HttpEmu;
import io.github.jettyhttpsys.engine.RequestQueue;
import io.github.jettyhttpsys.engine.SimpleOp;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cancel reaches exactly the operation issue it names: never one that completed, was freed or
 * was issued again, and never every I/O of the queue (CancelIoEx with a NULL OVERLAPPED). Forced
 * deterministically on real operations of a running connector, counting the emulator's CancelIoEx
 * calls and watching the receives that must stay pending.
 */
public class CancelSafetyTest
{
    private Server server;
    private HttpSysConnector connector;
    private int port;

    @BeforeEach
    public void needsEmulator()
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: call counters");
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        TestSupport.assertNothingLeaked();
    }

    private long startAndLearnAConnectionId(Socket client) throws Exception
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
                String id = request.getConnectionMetaData().getId();
                Content.Sink.write(response, true, id.substring(id.indexOf('-') + 1), callback);
                return true;
            }
        });
        server.start();
        client.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        client.setSoTimeout(10_000);
        client.getOutputStream().write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        RawHttp.Exchange x = RawHttp.read(client, List.of("GET"), 50);
        return Long.parseUnsignedLong(x.get(0).body(), 16);
    }

    private static CompletableFuture<Integer> armed(SimpleOp op)
    {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        op.onCompletion((error, bytes) -> done.complete(error));
        return done;
    }

    @Test
    public void cancelOfACompletedAFreedOrAReissuedOpTouchesNothing() throws Exception
    {
        try (Socket client = new Socket())
        {
            long connectionId = startAndLearnAConnectionId(client);
            RequestQueue queue = connector.getRequestQueue();
            SimpleOp op = new SimpleOp(0);

            // Issue 1 fails at once (no such connection): completed before anyone cancels it.
            CompletableFuture<Integer> first = armed(op);
            queue.waitForDisconnect(0x7fff_0000_0000_0001L, op);
            assertTrue(first.isDone(), "a wait on an unknown connection completes at once");
            long issue1 = op.issueCount();

            long cancels = HttpEmu.callCount("CancelIoEx");
            assertFalse(queue.cancelIo(op, issue1), "a completed issue is not cancelled");
            assertEquals(cancels, HttpEmu.callCount("CancelIoEx"), "no CancelIoEx for a completed op (not with NULL either)");

            // Issue 2 is pending on a live connection; a cancel naming issue 1 must not reach it.
            CompletableFuture<Integer> second = armed(op);
            queue.waitForDisconnect(connectionId, op);
            assertTrue(op.isPending());
            assertFalse(queue.cancelIo(op, issue1), "a stale issue number cancels nothing");
            assertEquals(cancels, HttpEmu.callCount("CancelIoEx"));
            Thread.sleep(100);
            assertFalse(second.isDone(), "the re-issued op is still pending");

            // The receives of the queue are untouched: a new request is still served.
            RawHttp.Exchange x = RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n", List.of("GET"), 50);
            assertEquals(200, x.get(0).status, x.toString());

            // The issue it names is cancelled.
            assertTrue(queue.cancelIo(op, op.issueCount()));
            assertEquals(Layout.ERROR_OPERATION_ABORTED, second.get(5, TimeUnit.SECONDS));

            // Freed: nothing at all.
            op.free();
            assertFalse(queue.cancelIo(op, op.issueCount()));
            assertFalse(queue.cancelIo(op, op.issueCount() + 1));
            assertEquals(cancels + 1, HttpEmu.callCount("CancelIoEx"));
        }
    }

    @Test
    public void cancelNamingTheNextIssueAppliesAsSoonAsItIsMade() throws Exception
    {
        try (Socket client = new Socket())
        {
            long connectionId = startAndLearnAConnectionId(client);
            RequestQueue queue = connector.getRequestQueue();
            SimpleOp op = new SimpleOp(0);
            CompletableFuture<Integer> done = armed(op);
            // The cancel comes first (a disconnect racing a send that is about to be issued).
            assertTrue(queue.cancelIo(op, op.issueCount() + 1));
            queue.waitForDisconnect(connectionId, op);
            assertEquals(Layout.ERROR_OPERATION_ABORTED, done.get(5, TimeUnit.SECONDS));
            op.free();
        }
    }

    @Test
    public void pooledSendBlocksReusedByOtherRequestsAreNeverCancelledByAnEarlierOne() throws Exception
    {
        // Many short requests whose handlers abort right after their final write: each abort names
        // only its own send issue, so healthy requests on other connections are never reset.
        port = TestSupport.freePort();
        server = new Server();
        connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                if (request.getHttpURI().getPath().startsWith("/abort"))
                {
                    response.write(false, java.nio.ByteBuffer.wrap("partial".getBytes(StandardCharsets.US_ASCII)),
                        Callback.from(() -> callback.failed(new RuntimeException("aborted by the handler")), callback::failed));
                    return true;
                }
                Content.Sink.write(response, true, "healthy", callback);
                return true;
            }
        });
        server.start();
        int healthyFailures = 0;
        String firstFailure = null;
        for (int i = 0; i < 200; i++)
        {
            try
            {
                RawHttp.exchange(port, "GET /abort HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n", List.of("GET"), 1);
            }
            catch (java.io.IOException expected)
            {
                // the aborted one is reset
            }
            RawHttp.Exchange ok = RawHttp.exchange(port, "GET /ok HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n", List.of("GET"), 1);
            if (ok.failure != null || ok.responses.isEmpty() || !"healthy".equals(ok.get(0).body()))
            {
                healthyFailures++;
                if (firstFailure == null)
                    firstFailure = ok.toString();
            }
        }
        assertEquals(0, healthyFailures, firstFailure);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (connector.getActiveRequests() > 0 && System.nanoTime() < deadline)
            Thread.sleep(5);
        assertEquals(0, connector.getActiveRequests());
    }
}
