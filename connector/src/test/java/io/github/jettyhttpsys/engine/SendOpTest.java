package io.github.jettyhttpsys.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.github.jettyhttpsys.nativeapi.Layout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The layout of a response from a {@link HeaderList}, and a pooled send block reused for a smaller
 * response: nothing of the earlier response's head may stay in the block.
 */
public class SendOpTest
{
    private static final int KNOWN = NativeOp.PAYLOAD + Layout.RESP_HEADERS + Layout.HEADERS_KNOWN;

    private static String known(ByteBuffer v, long base, int id)
    {
        int k = KNOWN + id * Layout.HTTP_KNOWN_HEADER_SIZE;
        int length = Short.toUnsignedInt(v.getShort(k + Layout.KNOWN_RAW_VALUE_LENGTH));
        long p = v.getLong(k + Layout.KNOWN_P_RAW_VALUE);
        if (p == 0)
            return length == 0 ? null : "length " + length + " without a value";
        byte[] b = new byte[length];
        v.get((int)(p - base) + NativeOp.PAYLOAD, b);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    @Test
    public void aNumberIsWrittenAsItsDigits()
    {
        HeaderList h = new HeaderList(1).addNumber("Content-Length", 0).addNumber("X-Big", Long.MAX_VALUE).add("X-Text", "a");
        assertEquals(3, h.size(), "the list grew");
        assertEquals("0", h.value(0));
        assertEquals(1, h.valueLength(0));
        assertEquals(String.valueOf(Long.MAX_VALUE), h.value(1));
        assertEquals(19, h.valueLength(1));
        assertEquals("[Content-Length: 0, X-Big: 9223372036854775807, X-Text: a]", h.copy().toString());
        h.clear();
        assertEquals(0, h.size());
        assertThrows(IndexOutOfBoundsException.class, () -> h.name(0));
        assertThrows(IllegalArgumentException.class, () -> h.addNumber("Content-Length", -1));
        assertThrows(UnsupportedOperationException.class, () -> HeaderList.EMPTY.add("X", "y"));
    }

    @Test
    public void aReusedBlockKeepsNothingOfTheResponseBefore()
    {
        HeaderList big = new HeaderList().add("Server", "first-server").addNumber("Content-Length", 123456)
            .add("X-One", "1").add("X-Two", "2");
        SendOp first = SendOp.response(200, "OK", big, List.of(ByteBuffer.wrap(new byte[100])), (e, b) -> { });
        ByteBuffer v = first.view();
        long base = first.payloadAddress();
        assertEquals("first-server", known(v, base, Layout.HttpHeaderServer));
        assertEquals("123456", known(v, base, Layout.HttpHeaderContentLength));
        assertEquals(2, Short.toUnsignedInt(v.getShort(NativeOp.PAYLOAD + Layout.RESP_HEADERS + Layout.HEADERS_UNKNOWN_COUNT)));
        first.complete(Layout.NO_ERROR, 0); // back to the pool

        SendOp second = SendOp.response(204, "No Content", HeaderList.of("Server", "s"), List.of(), (e, b) -> { });
        assertSame(first, second, "the pooled block is reused");
        v = second.view();
        base = second.payloadAddress();
        assertEquals("s", known(v, base, Layout.HttpHeaderServer));
        assertEquals(null, known(v, base, Layout.HttpHeaderContentLength), "no Content-Length of the first response");
        assertEquals(0, v.getShort(NativeOp.PAYLOAD + Layout.RESP_HEADERS + Layout.HEADERS_UNKNOWN_COUNT));
        assertEquals(0L, v.getLong(NativeOp.PAYLOAD + Layout.RESP_HEADERS + Layout.HEADERS_P_UNKNOWN));
        assertEquals(0, v.getShort(NativeOp.PAYLOAD + Layout.RESP_ENTITY_CHUNK_COUNT));
        second.free();
    }
}
