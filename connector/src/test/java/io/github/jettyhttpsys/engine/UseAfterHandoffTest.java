package io.github.jettyhttpsys.engine;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Pointer;
import io.github.jettyhttpsys.emulator.HttpEmu;
import io.github.jettyhttpsys.nativeapi.HttpApi;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The emulator catches a connector that touches a send buffer after handing it to the "kernel": the
 * data is read when it goes to the socket (as HTTP.sys may read it any time until the completion),
 * so a buffer rewritten early goes out rewritten, and in strict mode the buffer is overwritten at
 * completion, so code that reads it afterwards sees garbage. Here a deliberately bad send does both.
 */
public class UseAfterHandoffTest
{
    private static final int BODY = 8 << 20;

    private RequestQueue queue;
    private ExecutorService executor;
    private boolean strictBefore;

    @BeforeEach
    public void needsEmulator()
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: strict mode");
        strictBefore = HttpEmu.setStrict(true);
    }

    @AfterEach
    public void close()
    {
        if (queue != null)
            queue.close();
        if (executor != null)
            executor.shutdownNow();
        if (HttpEmu.isAvailable())
        {
            HttpEmu.setStrict(strictBefore);
            HttpEmu.Counters c = HttpEmu.awaitAllZero(java.time.Duration.ofSeconds(10));
            assertTrue(c.allZero(), c.toString());
        }
    }

    /** A send of one data chunk in its own block, as a buggy connector would lay it out. */
    private static final class BodyOp extends NativeOp
    {
        final CompletableFuture<byte[]> seenAtCompletion = new CompletableFuture<>();
        final int length;

        BodyOp(int length)
        {
            super(Layout.HTTP_DATA_CHUNK_SIZE + length);
            this.length = length;
            ByteBuffer v = view();
            v.putInt(PAYLOAD + Layout.CHUNK_TYPE, Layout.HttpDataChunkFromMemory);
            v.putLong(PAYLOAD + Layout.CHUNK_P_BUFFER, dataAddress());
            v.putInt(PAYLOAD + Layout.CHUNK_BUFFER_LENGTH, length);
            fill((byte)'A');
        }

        long dataAddress()
        {
            return payloadAddress() + Layout.HTTP_DATA_CHUNK_SIZE;
        }

        void fill(byte b)
        {
            ByteBuffer v = view();
            for (int i = 0; i < length; i++)
                v.put(PAYLOAD + Layout.HTTP_DATA_CHUNK_SIZE + i, b);
        }

        @Override
        protected void completed(int error, int bytes)
        {
            byte[] head = new byte[16];
            view().get(PAYLOAD + Layout.HTTP_DATA_CHUNK_SIZE, head);
            seenAtCompletion.complete(head);
        }
    }

    @Test
    public void aSendBufferRewrittenBeforeItsCompletionIsCaught() throws Exception
    {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0))
        {
            port = free.getLocalPort();
        }
        RequestQueueConfig config = new RequestQueueConfig();
        config.urlPrefixes = List.of("http://127.0.0.1:" + port + "/");
        config.receiveConcurrency = 1;
        CompletableFuture<Long> requestId = new CompletableFuture<>();
        executor = Executors.newFixedThreadPool(2);
        queue = new RequestQueue(config, view ->
        {
            requestId.complete(view.requestId());
            return null;
        }, executor);
        queue.open("handoff");
        queue.startReceiving((task, ms) -> executor.execute(task));

        try (Socket client = new Socket())
        {
            client.setReceiveBufferSize(4096); // the client is slow: the send stays pending
            client.connect(new InetSocketAddress("127.0.0.1", port));
            client.setSoTimeout(10_000);
            client.getOutputStream().write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            long id = requestId.get(10, TimeUnit.SECONDS);

            HeaderList headers = new HeaderList().addNumber("Content-Length", BODY);
            CompletableFuture<Integer> headSent = new CompletableFuture<>();
            queue.sendResponse(id, Layout.HTTP_SEND_RESPONSE_FLAG_MORE_DATA, SendOp.response(200, "OK", headers, List.of(), (e, b) -> headSent.complete(e)));
            assertEquals(Layout.NO_ERROR, headSent.get(10, TimeUnit.SECONDS));

            BodyOp body = new BodyOp(BODY);
            Pointer chunks = new Pointer(body.payloadAddress());
            int rc = queue.port().issue(queue.handle(), body, o ->
                HttpApi.HttpSendResponseEntityBody(queue.handle(), id, 0, (short)1, chunks, null, null, 0, o.overlapped(), null));
            assertEquals(Layout.ERROR_IO_PENDING, rc, "an 8 MB send to a client that does not read stays pending");

            // The bug: the block is reused while HTTP.sys may still read it.
            body.fill((byte)'X');

            InputStream in = client.getInputStream();
            StringBuilder head = new StringBuilder();
            while (head.indexOf("\r\n\r\n") < 0)
                head.append((char)in.read());
            assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
            byte[] data = in.readNBytes(BODY);
            assertEquals(BODY, data.length);
            long rewritten = 0;
            for (byte b : data)
                if (b == 'X')
                    rewritten++;
            assertTrue(rewritten > 0, "the rewritten buffer went out rewritten: the early reuse is visible to the client");

            // Strict mode: what the send was given is overwritten when it completes.
            byte[] after = body.seenAtCompletion.get(10, TimeUnit.SECONDS);
            for (byte b : after)
                assertEquals((byte)0xDD, b, "strict mode poisons a completed send's buffer");
            body.free();
        }
    }
}
