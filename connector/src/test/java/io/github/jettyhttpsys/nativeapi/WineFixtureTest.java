package io.github.jettyhttpsys.nativeapi;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decodes a request buffer that Wine's http.sys wrote (a POST captured by the team's httpapi-probe)
 * with {@link HttpRequestView}: a layout written by somebody else's implementation.
 */
public class WineFixtureTest
{
    @Test
    public void decodesWineRequestBuffer() throws IOException
    {
        byte[] all;
        try (InputStream in = WineFixtureTest.class.getResourceAsStream("/wine8-post-request.bin"))
        {
            assertNotNull(in);
            all = in.readAllBytes();
        }
        int nl = 0;
        while (all[nl] != '\n')
            nl++;
        String[] head = new String(all, 0, nl, StandardCharsets.US_ASCII).split(" ");
        long base = Long.parseLong(head[1], 16);
        int len = Integer.parseInt(head[3]);
        ByteBuffer buf = ByteBuffer.allocateDirect(len);
        buf.put(all, nl + 1, len).flip();

        HttpRequestView view = new HttpRequestView().wrap(buf, base, len);
        assertEquals("POST", view.method());
        assertEquals("/fixture/path?q=%C3%A9&b=2", view.rawUrl());
        assertEquals(1, view.majorVersion());
        assertEquals(1, view.minorVersion());
        assertTrue(view.connectionId() != 0 && view.requestId() != 0);
        assertTrue(view.cookedUrl().startsWith("http://localhost:"), view.cookedUrl());
        assertTrue(view.cookedUrl().contains("/fixture/path?q="), view.cookedUrl());
        assertTrue(view.cookedHost().startsWith("localhost:"), view.cookedHost());
        assertEquals("a=1; b=2", view.knownHeader(25));                  // Cookie
        assertEquals("10", view.knownHeader(Layout.HttpHeaderContentLength));
        assertEquals(view.cookedHost(), view.knownHeader(Layout.HttpHeaderHost));
        assertNull(view.knownHeader(0));                                   // Cache-Control absent
        boolean custom = false;
        for (int i = 0; i < view.unknownHeaderCount(); i++)
            custom |= view.unknownHeaderName(i).equals("X-Custom") && view.unknownHeaderValue(i).equals("abc");
        assertTrue(custom, "X-Custom: abc among the unknown headers");
        InetSocketAddress remote = view.remoteAddress();
        InetSocketAddress local = view.localAddress();
        assertNotNull(remote);
        assertNotNull(local);
        assertTrue(remote.getAddress().isLoopbackAddress(), remote.toString());
        assertEquals(local.getPort(), Integer.parseInt(view.cookedHost().substring(view.cookedHost().indexOf(':') + 1)));
        // Wine hands the request over only once the whole body arrived (F-111a): it counts it.
        assertTrue(view.bytesReceived() > 10, "BytesReceived " + view.bytesReceived());
    }
}
