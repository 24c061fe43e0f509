package io.github.jettyhttpsys.emulator;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loads the emulator from the jar with JNA, serves one request sent by {@code java.net.http} and
 * finds every live-object counter back at zero.
 */
public class EmulatorSmokeTest
{
    /** A test-local binding, enough for one request. */
    static final class Api
    {
        static
        {
            Native.register(Api.class, "httpapi");
        }

        static native int HttpInitialize(int version, int flags, Pointer reserved);

        static native int HttpTerminate(int flags, Pointer reserved);

        static native int HttpCreateServerSession(int version, LongByReference id, int reserved);

        static native int HttpCloseServerSession(long id);

        static native int HttpCreateUrlGroup(long session, LongByReference id, int reserved);

        static native int HttpCloseUrlGroup(long id);

        static native int HttpAddUrlToUrlGroup(long group, Pointer url, long context, int reserved);

        static native int HttpSetUrlGroupProperty(long group, int property, Pointer info, int length);

        static native int HttpCreateRequestQueue(int version, Pointer name, Pointer sa, int flags, PointerByReference handle);

        static native int HttpCloseRequestQueue(Pointer queue);

        static native int HttpReceiveHttpRequest(Pointer queue, long id, int flags, Pointer buf, int len, Pointer bytes, Pointer ov);

        static native int HttpSendHttpResponse(Pointer queue, long id, int flags, Pointer response, Pointer cache,
                                               Pointer bytes, Pointer r1, int r2, Pointer ov, Pointer log);
    }

    private static final int VERSION_2 = 2; // HTTPAPI_VERSION {2, 0} packed little-endian

    @Test
    public void servesOneRequestAndLeavesNothingBehind() throws Exception
    {
        // On Windows "httpapi" is the real httpapi.dll: this test is about the emulator.
        Assumptions.assumeTrue(HttpEmu.isAvailable(), "the emulator is not the loaded httpapi");
        int port;
        try (ServerSocket s = new ServerSocket(0))
        {
            port = s.getLocalPort();
        }
        assertEquals(0, Api.HttpInitialize(VERSION_2, 1, null));
        LongByReference session = new LongByReference();
        assertEquals(0, Api.HttpCreateServerSession(VERSION_2, session, 0));
        LongByReference group = new LongByReference();
        assertEquals(0, Api.HttpCreateUrlGroup(session.getValue(), group, 0));
        PointerByReference queue = new PointerByReference();
        assertEquals(0, Api.HttpCreateRequestQueue(VERSION_2, null, null, 0, queue));
        try (Memory binding = new Memory(16); Memory url = utf16("http://127.0.0.1:" + port + "/");
             Memory buf = new Memory(8192); Memory resp = new Memory(568); Memory chunk = new Memory(32);
             Memory body = new Memory(5); Memory reason = new Memory(3))
        {
            binding.clear();
            binding.setInt(0, 1);
            binding.setPointer(8, queue.getValue());
            assertEquals(0, Api.HttpSetUrlGroupProperty(group.getValue(), 7, binding, 16));
            assertEquals(0, Api.HttpAddUrlToUrlGroup(group.getValue(), url, 0, 0));

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            CompletableFuture<HttpResponse<String>> answer = client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello?x=1")).build(),
                HttpResponse.BodyHandlers.ofString());

            assertEquals(0, Api.HttpReceiveHttpRequest(queue.getValue(), 0, 0, buf, 8192, null, null));
            assertEquals(4, buf.getInt(36)); // HttpVerbGET
            Pointer rawUrl = buf.getPointer(56);
            assertEquals("/hello?x=1", new String(rawUrl.getByteArray(0, buf.getShort(42)), StandardCharsets.US_ASCII));
            long requestId = buf.getLong(16);

            resp.clear();
            resp.setShort(8, (short)200);
            reason.write(0, "OK\0".getBytes(StandardCharsets.US_ASCII), 0, 3);
            resp.setShort(10, (short)2);
            resp.setPointer(16, reason);
            body.write(0, "howdy".getBytes(StandardCharsets.US_ASCII), 0, 5);
            chunk.clear();
            chunk.setPointer(8, body);
            chunk.setInt(16, 5);
            resp.setShort(536, (short)1);
            resp.setPointer(544, chunk);
            // HTTP_SEND_RESPONSE_FLAG_DISCONNECT: the client's pooled connection must not outlive the test
            assertEquals(0, Api.HttpSendHttpResponse(queue.getValue(), requestId, 1, resp, null, null, null, 0, null, null));

            HttpResponse<String> r = answer.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals("howdy", r.body());
            assertEquals("Microsoft-HTTPAPI/2.0", r.headers().firstValue("server").orElse(""));
        }
        finally
        {
            assertEquals(0, Api.HttpCloseRequestQueue(queue.getValue()));
            assertEquals(0, Api.HttpCloseUrlGroup(group.getValue()));
            assertEquals(0, Api.HttpCloseServerSession(session.getValue()));
            assertEquals(0, Api.HttpTerminate(1, null));
        }
        HttpEmu.Counters c = HttpEmu.awaitAllZero(Duration.ofSeconds(10));
        assertTrue(c.allZero(), c.toString());
    }

    private static Memory utf16(String s)
    {
        byte[] b = (s + "\0").getBytes(StandardCharsets.UTF_16LE);
        Memory m = new Memory(b.length);
        m.write(0, b, 0, b.length);
        return m;
    }
}
