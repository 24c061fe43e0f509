package io.github.jettyhttpsys;

import java.util.List;

import io.github.jettyhttpsys.engine.HeaderList;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The framing of a response on each protocol HTTP.sys serves (F-58, F-153, F-156, F-157, F-159, F-186). */
public class ResponseFramingTest
{
    private static final int MORE = Layout.HTTP_SEND_RESPONSE_FLAG_MORE_DATA;
    private static final int DISCONNECT = Layout.HTTP_SEND_RESPONSE_FLAG_DISCONNECT;
    private static final int GOAWAY = Layout.HTTP_SEND_RESPONSE_FLAG_GOAWAY;

    @Test
    public void theProtocolComesFromTheFlagsBeforeTheVersion()
    {
        assertEquals(HttpVersion.HTTP_2, ResponseFraming.protocol(Layout.HTTP_REQUEST_FLAG_HTTP2, 1, 1)); // as Windows reports h2
        assertEquals(HttpVersion.HTTP_2, ResponseFraming.protocol(Layout.HTTP_REQUEST_FLAG_HTTP2 | 1, 0, 0));
        assertEquals(HttpVersion.HTTP_3, ResponseFraming.protocol(Layout.HTTP_REQUEST_FLAG_HTTP3, 1, 1));
        assertEquals(HttpVersion.HTTP_1_1, ResponseFraming.protocol(Layout.HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS, 1, 1));
        assertEquals(HttpVersion.HTTP_1_0, ResponseFraming.protocol(0, 1, 0));
    }

    @Test
    public void http11ChunksAnUnknownLengthAndClosesWithDisconnect()
    {
        ResponseFraming f = ResponseFraming.decide(HttpVersion.HTTP_1_1, false, -1, false, false);
        assertTrue(f.chunked);
        assertFalse(f.trailerChunk || f.goAway || f.disconnect);
        assertEquals(MORE, f.flags(true, false));
        assertEquals(0, f.flags(false, true));
        f = ResponseFraming.decide(HttpVersion.HTTP_1_1, false, 10, false, true);
        assertFalse(f.chunked);
        assertEquals(DISCONNECT, f.flags(false, true));
        assertFalse(ResponseFraming.decide(HttpVersion.HTTP_1_1, true, -1, false, false).chunked); // HEAD, 204, 304
        assertFalse(ResponseFraming.decide(HttpVersion.HTTP_1_1, false, -1, true, false).chunked); // all in one send
    }

    @Test
    public void http10EndsAnUnknownLengthWithTheConnection()
    {
        ResponseFraming f = ResponseFraming.decide(HttpVersion.HTTP_1_0, false, -1, false, false);
        assertFalse(f.chunked);
        assertTrue(f.closeDelimited && f.disconnect);
        assertEquals(DISCONNECT, f.flags(false, true));
    }

    @Test
    public void http2And3NeverChunkNorDisconnectAndCloseIsGoAway()
    {
        for (HttpVersion v : List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_3))
        {
            ResponseFraming f = ResponseFraming.decide(v, false, -1, false, false);
            assertFalse(f.chunked || f.closeDelimited || f.disconnect || f.goAway || f.connectionFields, f.toString());
            assertTrue(f.trailerChunk);
            assertEquals(MORE, f.flags(true, false));
            assertEquals(0, f.flags(false, true));
            f = ResponseFraming.decide(v, false, -1, false, true);
            assertEquals(MORE | GOAWAY, f.flags(true, false));
            assertEquals(DISCONNECT, f.flags(false, true));
            assertEquals(GOAWAY | DISCONNECT, f.flags(true, true));
        }
    }

    @Test
    public void http2HeadsCarryNoConnectionSpecificFields()
    {
        HttpFields fields = HttpFields.build().add(HttpHeader.CONNECTION, "close").add(HttpHeader.KEEP_ALIVE, "timeout=5")
            .add(HttpHeader.UPGRADE, "h2c").add(HttpHeader.TRANSFER_ENCODING, "chunked").add("X-App", "1");
        MetaData.Response response = new MetaData.Response(200, null, HttpVersion.HTTP_2, fields);
        HeaderList h2 = ResponseHeaders.build(response, -1, false, false, false, 16384, new HeaderList());
        assertEquals(1, h2.size());
        assertEquals("X-App", h2.name(0));
        HeaderList h1 = ResponseHeaders.build(response, 42, true, true, true, 16384, h2); // the same list, reused
        assertEquals("[Keep-Alive: timeout=5, Upgrade: h2c, X-App: 1, Connection: close, Content-Length: 42, " +
            "Transfer-Encoding: chunked]", h1.toString(), "HTTP/1.1 keeps its fields");
    }
}
