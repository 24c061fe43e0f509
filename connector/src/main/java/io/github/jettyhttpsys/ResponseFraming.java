package io.github.jettyhttpsys;

import org.eclipse.jetty.http.HttpVersion;

import io.github.jettyhttpsys.nativeapi.Layout;

/**
 * How one response is framed on its protocol, decided once at commit. HTTP.sys frames a response
 * only where it knows how: on HTTP/1.x it sends the body bytes it is given as they are and never
 * chunks (F-58), so the connector writes chunk framing itself; on HTTP/2 and HTTP/3 it makes DATA
 * frames of the same bytes (F-156, F-187), so chunk framing there would corrupt the body. HTTP/2
 * requests arrive as Version 1.1 with a flag (F-153, F-186): the protocol comes from
 * {@link #protocol(int, int, int)}, never from the version alone.
 */
final class ResponseFraming
{
    /** The connector writes HTTP/1.1 chunk framing (unknown length on HTTP/1.1). */
    final boolean chunked;
    /** HTTP/1.0 with an unknown length: the end of the body is the end of the connection. */
    final boolean closeDelimited;
    /** HTTP/1.x: the final send carries DISCONNECT, and the head says {@code Connection: close}. */
    final boolean disconnect;
    /** HTTP/2, HTTP/3: the connection is to end after this stream: GOAWAY (F-157). */
    final boolean goAway;
    /** Connection-specific fields (Connection, Keep-Alive, Transfer-Encoding, Upgrade) may be in the head. */
    final boolean connectionFields;
    /** Trailers travel as an {@code HttpDataChunkTrailers} chunk of the final send (HTTP/2, HTTP/3, F-159). */
    final boolean trailerChunk;

    /** After a 101 in opaque mode: raw bytes both ways, no framing, no close of HTTP's (F-148). */
    static final ResponseFraming OPAQUE = new ResponseFraming(false, false, false, false, false);
    // Immutable: every framing decide() can return is made once.
    private static final ResponseFraming MULTIPLEXED = new ResponseFraming(false, false, false, false, true);
    private static final ResponseFraming MULTIPLEXED_GOAWAY = new ResponseFraming(false, false, false, true, true);
    private static final ResponseFraming[] HTTP1 = new ResponseFraming[8]; // by chunked, closeDelimited, disconnect

    static
    {
        for (int i = 0; i < HTTP1.length; i++)
            HTTP1[i] = new ResponseFraming((i & 4) != 0, (i & 2) != 0, (i & 1) != 0, false, false);
    }

    private ResponseFraming(boolean chunked, boolean closeDelimited, boolean disconnect, boolean goAway, boolean multiplexed)
    {
        this.chunked = chunked;
        this.closeDelimited = closeDelimited;
        this.disconnect = disconnect;
        this.goAway = goAway;
        this.connectionFields = !multiplexed;
        this.trailerChunk = multiplexed;
    }

    /**
     * The protocol of a request as HTTP.sys delivered it: its flags first (F-153), then its version.
     *
     * @param flags {@code HTTP_REQUEST.Flags}
     * @param major the major version
     * @param minor the minor version
     * @return HTTP/3, HTTP/2, HTTP/1.0 or HTTP/1.1
     */
    static HttpVersion protocol(int flags, int major, int minor)
    {
        if ((flags & Layout.HTTP_REQUEST_FLAG_HTTP3) != 0)
            return HttpVersion.HTTP_3;
        if ((flags & Layout.HTTP_REQUEST_FLAG_HTTP2) != 0)
            return HttpVersion.HTTP_2;
        return major == 1 && minor == 0 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    }

    /** HTTP/2 and HTTP/3: streams of a connection that HTTP.sys shows as connections of their own (F-77). */
    static boolean multiplexed(HttpVersion version)
    {
        return version == HttpVersion.HTTP_2 || version == HttpVersion.HTTP_3;
    }

    /**
     * @param version the request's protocol
     * @param noBody HEAD, 1xx, 204 or 304: no body is sent
     * @param length the declared length, or -1
     * @param last the whole response is in the first send
     * @param close the connection is to end after this response (the application said so, the
     *              request asked for it, the body failed, or the server is stopping)
     * @return the framing
     */
    static ResponseFraming decide(HttpVersion version, boolean noBody, long length, boolean last, boolean close)
    {
        if (multiplexed(version))
            return close ? MULTIPLEXED_GOAWAY : MULTIPLEXED;
        boolean unknownLength = !noBody && length < 0 && !last;
        boolean chunked = unknownLength && version == HttpVersion.HTTP_1_1;
        boolean closeDelimited = unknownLength && !chunked;
        return HTTP1[(chunked ? 4 : 0) | (closeDelimited ? 2 : 0) | (close || closeDelimited ? 1 : 0)];
    }

    /**
     * @param first the send carries the response head
     * @param last the send is the final one
     * @return the HTTP_SEND_RESPONSE_FLAG_* bits of a send
     */
    int flags(boolean first, boolean last)
    {
        int flags = last ? 0 : Layout.HTTP_SEND_RESPONSE_FLAG_MORE_DATA;
        if (last && disconnect)
            flags |= Layout.HTTP_SEND_RESPONSE_FLAG_DISCONNECT;
        // F-157: GOAWAY goes with the head and needs DISCONNECT; on a stream DISCONNECT ends the stream
        // only (F-156), so it is set where the stream ends.
        if (goAway && first)
            flags |= Layout.HTTP_SEND_RESPONSE_FLAG_GOAWAY;
        if (goAway && last)
            flags |= Layout.HTTP_SEND_RESPONSE_FLAG_DISCONNECT;
        return flags;
    }

    @Override
    public String toString()
    {
        return "ResponseFraming[chunked=" + chunked + ",closeDelimited=" + closeDelimited + ",disconnect=" + disconnect +
            ",goAway=" + goAway + ",trailerChunk=" + trailerChunk + "]";
    }
}
