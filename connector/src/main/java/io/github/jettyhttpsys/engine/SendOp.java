package io.github.jettyhttpsys.engine;

import java.nio.ByteBuffer;
import java.util.List;

import io.github.jettyhttpsys.nativeapi.Layout;

/**
 * One send: lays out an HTTP_RESPONSE_V2 with its headers and data chunks, or only data chunks,
 * in its own native block, for HttpSendHttpResponse or HttpSendResponseEntityBody. The block lives
 * until the send's completion. Data in direct buffers is not copied: its chunk points at the buffer,
 * which the op keeps reachable until the completion, since HTTP.sys may read it until then (the
 * caller must not reuse it before: Jetty's write contract); data in heap buffers is copied into the block.
 */
public final class SendOp extends NativeOp
{
    /** Payload of pooled ops: small responses reuse their native block instead of malloc + Cleaner. */
    private static final int POOLED_SIZE = 4096;
    private static final int POOL_MAX = 256;
    private static final byte[] ZEROS = new byte[POOLED_SIZE];
    /** Free blocks: a stack under its own monitor, so that neither taking nor giving back allocates (a queue's offer makes a node). */
    private static final SendOp[] POOL = new SendOp[POOL_MAX];
    private static int _pooled; // guarded by POOL

    private Completion _completion;
    private int _chunkCount;
    private int _chunksAt;
    private int _used; // payload bytes written, cleared before reuse
    private final java.util.ArrayList<ByteBuffer> _lent = new java.util.ArrayList<>(4); // direct buffers the chunks point into
    private int _policySlot = -1; // payload offset reserved for an HTTP_CACHE_POLICY (responses only)
    private boolean _policy;      // the slot holds one

    private SendOp(int size)
    {
        super(size);
    }

    private static SendOp obtain(int size, Completion completion)
    {
        SendOp op = null;
        if (size <= POOLED_SIZE)
        {
            synchronized (POOL)
            {
                if (_pooled > 0)
                {
                    op = POOL[--_pooled];
                    POOL[_pooled] = null;
                }
            }
            if (op == null)
                op = new SendOp(POOLED_SIZE);
        }
        else
        {
            op = new SendOp(size);
        }
        op._completion = completion;
        op._used = size;
        return op;
    }

    /** After its completion: back to the pool (zeroed) or freed. */
    private void recycle()
    {
        _completion = null;
        _lent.clear();
        _policySlot = -1;
        _policy = false;
        if (payloadSize() == POOLED_SIZE)
        {
            ByteBuffer v = view();
            // One bulk copy (a memory copy underneath), not a put per word.
            v.put(PAYLOAD, ZEROS, 0, Math.min(_used, v.capacity() - PAYLOAD));
            synchronized (POOL)
            {
                if (_pooled < POOL_MAX)
                {
                    POOL[_pooled++] = this;
                    return;
                }
            }
        }
        free();
    }


    /**
     * Lays out a response.
     *
     * @param status the status code
     * @param reason the reason phrase
     * @param headers name/value pairs; a known response header given once goes to its slot, one given
     * several times to the unknown list (F-182)
     * @param bodies data chunks, each sent as is
     * @param completion called when the send completes
     * @return the op, ready to issue
     */
    public static SendOp response(int status, String reason, HeaderList headers, List<ByteBuffer> bodies, Completion completion)
    {
        return response(status, reason, headers, bodies, HeaderList.EMPTY, completion);
    }

    /**
     * Lays out a response whose last chunk carries trailers (HTTP/2, HTTP/3; F-159).
     *
     * @param trailers name/value pairs for an {@code HttpDataChunkTrailers} chunk after the data; none when empty
     * @see #response(int, String, List, List, Completion)
     */
    public static SendOp response(int status, String reason, HeaderList headers, List<ByteBuffer> bodies, HeaderList trailers,
                                  Completion completion)
    {
        return response(status, reason, headers, bodies, trailers, false, completion);
    }

    /**
     * The 101 of an upgrade in opaque mode (F-144, F-146): every header in the unknown list, where
     * HTTP.sys keeps {@code Connection: Upgrade} (from a known slot it drops it).
     */
    public static SendOp opaqueResponse(int status, String reason, HeaderList headers, Completion completion)
    {
        return response(status, reason, headers, List.of(), HeaderList.EMPTY, true, completion);
    }

    private static SendOp response(int status, String reason, HeaderList headers, List<ByteBuffer> bodies, HeaderList trailers,
                                   boolean allUnknown, Completion completion)
    {
        String reasonText = reason == null ? "" : reason;
        int headerCount = headers.size();
        int size = Layout.HTTP_RESPONSE_V2_SIZE + headerCount * Layout.HTTP_UNKNOWN_HEADER_SIZE +
            (bodies.size() + 1) * Layout.HTTP_DATA_CHUNK_SIZE + reasonText.length() + 1 + trailerBytes(trailers);
        // F-182: a known slot holds one value, so a known header given more than once goes to the
        // unknown list every time, where HTTP.sys emits each line in order. Known ids are < 64: two masks
        // tell once from more than once.
        long seen = 0;
        long repeated = 0;
        // F-134: several WWW-Authenticate values go in one HttpResponseInfoTypeMultipleKnownHeaders entry,
        // where HTTP.sys builds each challenge (realm, order) itself; in the unknown list it would not.
        int challenges = 0;
        for (int i = 0; i < headerCount; i++)
        {
            String name = headers.name(i);
            size += name.length() + headers.valueLength(i) + 2;
            int id = Layout.responseHeaderId(name);
            if (id < 0)
                continue;
            if (id == Layout.HttpHeaderWwwAuthenticate)
                challenges++;
            repeated |= seen & (1L << id);
            seen |= 1L << id;
        }
        boolean multiple = challenges > 1;
        if (multiple)
            size += 8 + Layout.HTTP_RESPONSE_INFO_SIZE + Layout.HTTP_MULTIPLE_KNOWN_HEADERS_SIZE + challenges * Layout.HTTP_KNOWN_HEADER_SIZE;
        size += copiedBytes(bodies);
        int contentMax = size + 16; // with room for two 8-byte alignments
        SendOp op = obtain(contentMax + 8 + Layout.HTTP_CACHE_POLICY_SIZE, completion);
        op._policySlot = (contentMax + 7) & ~7;
        ByteBuffer v = op.view();
        int base = PAYLOAD;
        long addr = op.payloadAddress();
        v.putShort(base + Layout.RESP_STATUS_CODE, (short)status);
        v.putShort(base + Layout.RESP_VERSION, (short)1);
        v.putShort(base + Layout.RESP_VERSION + 2, (short)1);
        int at = Layout.HTTP_RESPONSE_V2_SIZE;
        int unknownAt = at;
        int unknown = 0;
        at += headerCount * Layout.HTTP_UNKNOWN_HEADER_SIZE;
        int knownAt = 0;
        if (multiple)
        {
            at = (at + 7) & ~7;
            int infoAt = at;
            int multipleAt = infoAt + Layout.HTTP_RESPONSE_INFO_SIZE;
            knownAt = multipleAt + Layout.HTTP_MULTIPLE_KNOWN_HEADERS_SIZE;
            v.putInt(base + infoAt + Layout.RESPONSE_INFO_TYPE, Layout.HttpResponseInfoTypeMultipleKnownHeaders);
            v.putInt(base + infoAt + Layout.RESPONSE_INFO_LENGTH, Layout.HTTP_MULTIPLE_KNOWN_HEADERS_SIZE);
            v.putLong(base + infoAt + Layout.RESPONSE_INFO_P_INFO, addr + multipleAt);
            v.putInt(base + multipleAt + Layout.MULTIPLE_KNOWN_HEADER_ID, Layout.HttpHeaderWwwAuthenticate);
            v.putShort(base + multipleAt + Layout.MULTIPLE_KNOWN_COUNT, (short)challenges);
            v.putLong(base + multipleAt + Layout.MULTIPLE_KNOWN_P_HEADERS, addr + knownAt);
            v.putShort(base + Layout.RESP_RESPONSE_INFO_COUNT, (short)1);
            v.putLong(base + Layout.RESP_P_RESPONSE_INFO, addr + infoAt);
            at = knownAt + challenges * Layout.HTTP_KNOWN_HEADER_SIZE;
        }
        int challenge = 0;
        op._chunksAt = at;
        at += (bodies.size() + (trailers.isEmpty() ? 0 : 1)) * Layout.HTTP_DATA_CHUNK_SIZE;
        int reasonLength = putLatin1(v, base + at, reasonText);
        v.put(base + at + reasonLength, (byte)0);
        v.putShort(base + Layout.RESP_REASON_LENGTH, (short)reasonLength);
        v.putLong(base + Layout.RESP_P_REASON, addr + at);
        at += reasonLength + 1;
        for (int i = 0; i < headerCount; i++)
        {
            String name = headers.name(i);
            if (name.length() > 0xFFFF || headers.valueLength(i) > 0xFFFF)
                throw new IllegalArgumentException("header longer than 65535 bytes: " + name);
            int id = Layout.responseHeaderId(name);
            long valueAddr = addr + at;
            int valueLength = headers.putValue(v, base + at, i);
            at += valueLength;
            if (multiple && id == Layout.HttpHeaderWwwAuthenticate)
            {
                int k = base + knownAt + challenge++ * Layout.HTTP_KNOWN_HEADER_SIZE;
                v.putShort(k + Layout.KNOWN_RAW_VALUE_LENGTH, (short)valueLength);
                v.putLong(k + Layout.KNOWN_P_RAW_VALUE, valueAddr);
            }
            else if (id >= 0 && (repeated & (1L << id)) == 0 && !allUnknown)
            {
                int k = base + Layout.RESP_HEADERS + Layout.HEADERS_KNOWN + id * Layout.HTTP_KNOWN_HEADER_SIZE;
                v.putShort(k + Layout.KNOWN_RAW_VALUE_LENGTH, (short)valueLength);
                v.putLong(k + Layout.KNOWN_P_RAW_VALUE, valueAddr);
            }
            else
            {
                long nameAddr = addr + at;
                int nameLength = putLatin1(v, base + at, name);
                at += nameLength;
                int u = base + unknownAt + unknown * Layout.HTTP_UNKNOWN_HEADER_SIZE;
                v.putShort(u + Layout.UNKNOWN_NAME_LENGTH, (short)nameLength);
                v.putShort(u + Layout.UNKNOWN_RAW_VALUE_LENGTH, (short)valueLength);
                v.putLong(u + Layout.UNKNOWN_P_NAME, nameAddr);
                v.putLong(u + Layout.UNKNOWN_P_RAW_VALUE, valueAddr);
                unknown++;
            }
        }
        v.putShort(base + Layout.RESP_HEADERS + Layout.HEADERS_UNKNOWN_COUNT, (short)unknown);
        v.putLong(base + Layout.RESP_HEADERS + Layout.HEADERS_P_UNKNOWN, unknown == 0 ? 0 : addr + unknownAt);
        at = op.putChunks(bodies, at);
        op.putTrailers(trailers, at);
        v.putShort(base + Layout.RESP_ENTITY_CHUNK_COUNT, (short)op._chunkCount);
        v.putLong(base + Layout.RESP_P_ENTITY_CHUNKS, op._chunkCount == 0 ? 0 : addr + op._chunksAt);
        return op;
    }

    /**
     * Lays out data chunks only, for HttpSendResponseEntityBody.
     *
     * @param bodies the chunks
     * @param completion called when the send completes
     * @return the op
     */
    public static SendOp body(List<ByteBuffer> bodies, Completion completion)
    {
        return body(bodies, HeaderList.EMPTY, completion);
    }

    /**
     * Lays out data chunks and, when there are trailers, an {@code HttpDataChunkTrailers} chunk after them
     * (HTTP/2, HTTP/3; F-159).
     */
    public static SendOp body(List<ByteBuffer> bodies, HeaderList trailers, Completion completion)
    {
        int chunks = bodies.size() + (trailers.isEmpty() ? 0 : 1);
        int size = chunks * Layout.HTTP_DATA_CHUNK_SIZE + trailerBytes(trailers) + copiedBytes(bodies);
        SendOp op = obtain(size, completion);
        op._chunksAt = 0;
        int at = op.putChunks(bodies, chunks * Layout.HTTP_DATA_CHUNK_SIZE);
        op.putTrailers(trailers, at);
        return op;
    }

    /** The bytes of heap buffers, which are copied into the block; direct ones are not. */
    private static int copiedBytes(List<ByteBuffer> bodies)
    {
        int size = 0;
        for (int i = 0, n = bodies.size(); i < n; i++)
        {
            ByteBuffer b = bodies.get(i);
            if (!b.isDirect())
                size += b.remaining();
        }
        return size;
    }

    /**
     * Asks HTTP.sys to keep this response in its kernel response cache (F-162): it answers later GETs of the
     * URL itself while the entry lives, if the request and the response qualify (F-163, F-164).
     *
     * @param seconds time to live, &gt; 0
     * @return this
     */
    public SendOp cacheFor(int seconds)
    {
        if (seconds <= 0)
            throw new IllegalArgumentException("time to live must be positive: " + seconds);
        if (_policySlot < 0)
            throw new IllegalStateException("only HttpSendHttpResponse takes a cache policy");
        // In the slot the response reserved after its content.
        ByteBuffer v = view();
        v.putInt(PAYLOAD + _policySlot + Layout.CACHE_POLICY_POLICY, Layout.HttpCachePolicyTimeToLive);
        v.putInt(PAYLOAD + _policySlot + Layout.CACHE_POLICY_SECONDS_TO_LIVE, seconds);
        _policy = true;
        return this;
    }

    /** @return the HTTP_CACHE_POLICY of {@link #cacheFor(int)}, or null */
    public com.sun.jna.Pointer cachePolicy()
    {
        return _policy ? new com.sun.jna.Pointer(payloadAddress() + _policySlot) : null;
    }

    /** @return the data chunks' array, for HttpSendResponseEntityBody */
    public com.sun.jna.Pointer chunks()
    {
        return new com.sun.jna.Pointer(chunksAddress());
    }

    private static int trailerBytes(HeaderList trailers)
    {
        int size = trailers.size() * Layout.HTTP_UNKNOWN_HEADER_SIZE + 8;
        for (int i = 0, n = trailers.size(); i < n; i++)
            size += trailers.name(i).length() + trailers.valueLength(i);
        return size;
    }

    /** The trailers chunk after the data chunks: its HTTP_UNKNOWN_HEADER array and strings from {@code at}. */
    private void putTrailers(HeaderList trailers, int at)
    {
        if (trailers.isEmpty())
            return;
        ByteBuffer v = view();
        long addr = payloadAddress();
        at = (at + 7) & ~7;
        int array = at;
        at += trailers.size() * Layout.HTTP_UNKNOWN_HEADER_SIZE;
        for (int i = 0; i < trailers.size(); i++)
        {
            String name = trailers.name(i);
            if (name.length() > 0xFFFF || trailers.valueLength(i) > 0xFFFF)
                throw new IllegalArgumentException("trailer longer than 65535 bytes: " + name);
            int u = PAYLOAD + array + i * Layout.HTTP_UNKNOWN_HEADER_SIZE;
            v.putLong(u + Layout.UNKNOWN_P_NAME, addr + at);
            int nameLength = putLatin1(v, PAYLOAD + at, name);
            at += nameLength;
            v.putLong(u + Layout.UNKNOWN_P_RAW_VALUE, addr + at);
            int valueLength = trailers.putValue(v, PAYLOAD + at, i);
            at += valueLength;
            v.putShort(u + Layout.UNKNOWN_NAME_LENGTH, (short)nameLength);
            v.putShort(u + Layout.UNKNOWN_RAW_VALUE_LENGTH, (short)valueLength);
        }
        int c = PAYLOAD + _chunksAt + _chunkCount * Layout.HTTP_DATA_CHUNK_SIZE;
        v.putInt(c + Layout.CHUNK_TYPE, Layout.HttpDataChunkTrailers);
        v.putShort(c + Layout.CHUNK_TRAILER_COUNT, (short)trailers.size());
        v.putLong(c + Layout.CHUNK_P_TRAILERS, addr + array);
        _chunkCount++;
    }

    /**
     * Writes a string as ISO-8859-1 at an absolute index, as {@code getBytes(ISO_8859_1)} would encode it
     * ('?' for a character beyond it), without the intermediate array.
     *
     * @return the bytes written: the string's length
     */
    static int putLatin1(ByteBuffer v, int index, String s)
    {
        int n = s.length();
        for (int i = 0; i < n; i++)
        {
            char c = s.charAt(i);
            v.put(index + i, c <= 0xFF ? (byte)c : (byte)'?');
        }
        return n;
    }

    /** @return the payload offset after the data */
    private int putChunks(List<ByteBuffer> bodies, int at)
    {
        ByteBuffer v = view();
        long addr = payloadAddress();
        int n = 0;
        for (int i = 0, count = bodies.size(); i < count; i++)
        {
            ByteBuffer b = bodies.get(i);
            int len = b.remaining();
            if (len == 0)
                continue;
            int c = PAYLOAD + _chunksAt + n * Layout.HTTP_DATA_CHUNK_SIZE;
            v.putInt(c + Layout.CHUNK_TYPE, Layout.HttpDataChunkFromMemory);
            v.putInt(c + Layout.CHUNK_BUFFER_LENGTH, len);
            if (b.isDirect())
            {
                // Zero copy: HTTP.sys reads the caller's buffer, kept reachable until the completion.
                v.putLong(c + Layout.CHUNK_P_BUFFER, com.sun.jna.Pointer.nativeValue(com.sun.jna.Native.getDirectBufferPointer(b)) + b.position());
                _lent.add(b);
            }
            else
            {
                v.putLong(c + Layout.CHUNK_P_BUFFER, addr + at);
                v.put(PAYLOAD + at, b, b.position(), len);
                at += len;
            }
            b.position(b.limit()); // consumed, as a write consumes its buffer (Jetty reuses it once the write completed)
            n++;
        }
        _chunkCount = n;
        return at;
    }

    public int chunkCount()
    {
        return _chunkCount;
    }

    public long chunksAddress()
    {
        return _chunkCount == 0 ? 0 : payloadAddress() + _chunksAt;
    }

    @Override
    protected void completed(int error, int bytes)
    {
        Completion c = _completion;
        try
        {
            c.completed(error, bytes);
        }
        finally
        {
            recycle();
        }
    }

    @Override
    public String toString()
    {
        return "SendOp@" + Long.toHexString(address());
    }
}
