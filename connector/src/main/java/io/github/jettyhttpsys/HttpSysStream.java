package io.github.jettyhttpsys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.concurrent.TimeoutException;

import io.github.jettyhttpsys.engine.Completion;
import io.github.jettyhttpsys.engine.HeaderList;
import io.github.jettyhttpsys.engine.RequestQueue;
import io.github.jettyhttpsys.engine.SendOp;
import io.github.jettyhttpsys.engine.SimpleOp;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.HttpChannel;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.AutoLock;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request (one {@code HTTP_REQUEST_ID}) as a Jetty {@link HttpStream}: the body is read on
 * demand with HttpReceiveRequestEntityBody into a native buffer, the response is sent with
 * HttpSendHttpResponse then HttpSendResponseEntityBody, and failures travel both ways: a client
 * disconnect fails the channel, a Jetty abort cancels the request in HTTP.sys.
 */
class HttpSysStream implements HttpStream, Runnable, Completion
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpSysStream.class);
    private static final int BODY_BUFFER = 64 * 1024;
    /** Heap content above this goes into pooled direct buffers that the send points at, not into the send's own block. */
    private static final int HEAP_COPY_MAX = 8 * 1024;
    private static final int POOLED_PIECE = 64 * 1024;
    private static final ByteBuffer CRLF = ByteBuffer.wrap("\r\n".getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();
    /** The chunks of the send being laid out, per thread: only read under the lock before the send is issued. */
    private static final ThreadLocal<List<ByteBuffer>> SEND_CHUNKS = ThreadLocal.withInitial(() -> new ArrayList<>(4));
    /** The head of the response being committed, per thread: as the chunks, read only while the op is laid out. */
    private static final ThreadLocal<HeaderList> SEND_HEADERS = ThreadLocal.withInitial(HeaderList::new);
    private static final ByteBuffer LAST_CHUNK = ByteBuffer.wrap("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();

    private final AutoLock _lock = new AutoLock();
    private final HttpSysConnector _connector;
    // The request's own, set by start(): the object serves the requests of one HTTP/1.x connection in turn, or
    // HTTP/2 and HTTP/3 streams one after the other, each with a connection of its own (F-77).
    private HttpSysConnection _connection;
    private RequestQueue _queue;
    private long _requestId;
    private HttpVersion _version;
    private boolean _head;
    private boolean _hasBody;
    private long _maxBodySize;
    private boolean _requestWantsClose;
    private HttpChannel _channel;
    private StreamMetaData _meta;          // the channel with its metadata, given back for the next request

    // guarded by _lock
    private Content.Chunk _chunk;          // the next chunk read() returns
    private boolean _readPending;
    private boolean _demanded;
    private boolean _bodyEof;
    private boolean _tunnel;               // after a servlet upgrade: reads are the opaque stream's bytes
    private long _bodyBytes;
    private SimpleOp _bodyOp;              // owned; freed in release()
    private Throwable _failure;            // remote failure: reads and sends fail with it
    private boolean _committed;
    private ResponseFraming _framing;      // decided at commit
    private long _declaredLength;          // the Content-Length of the head, -1 for none
    private long _written;                 // body bytes given to HTTP.sys
    private ByteBuffer _heldBack;          // F-159: the write that completes a declared length, kept for the trailers
    private boolean _noBody;               // HEAD, 1xx, 204, 304: content is dropped (F-178, F-179)
    private boolean _bodyFailed;           // 413, read error or idle timeout on the body: no reuse
    private Supplier<HttpFields> _trailers; // for the last chunk (HTTP/1.1 chunked) or the trailers chunk (h2, h3)
    private boolean _finalIssued;          // F-64: the id is dead once the final send is issued
    private int _cacheSeconds;             // the time to live the response is offered to the kernel cache for, 0 for none
    private SendOp _sending;               // the send in flight
    private Callback _sendCallback;        // its callback, for completed(int, int)
    private boolean _sendLast;             // it is the last
    private volatile Thread _sendThread;   // the thread inside send() issuing a send, while it is issued
    private List<RetainableByteBuffer> _sendPooled; // pooled copies of heap content the send in flight points at
    private long _sendingIssue;            // its issue number: a cancel names exactly this issue
    private long _bodyIssue;               // issue number of the body read in flight
    private Callback _cancelledWrite;      // failed by cancelSend: completed once the send in flight has
    private boolean _dispatched;           // the first dispatch (the handler call) returned
    private boolean _deferredDisconnect;   // a disconnect seen during the first dispatch, for its end
    private boolean _completed;            // Jetty called succeeded() or failed()
    private boolean _notified;             // a failure or timeout went to the channel: it is never recycled
    private int _waking;                   // content-available calls to the channel in progress
    private boolean _reusable;             // completed cleanly with nothing of it in flight (see #offerWhenDone)
    private boolean _offered;              // given back to the connection for its next request
    private boolean _quiet;                // release() found nothing of it in flight
    private long _generation;              // which request of this object this is: one more at each start()
    private long _idleTimeout;
    private volatile long _lastActivity;

    /** A stream for {@link #start} to give a request. */
    HttpSysStream(HttpSysConnector connector)
    {
        _connector = connector;
    }

    /**
     * Gives the stream its request: every per-request field is set here, for a new stream and for one a
     * connection's earlier request gave back (see {@link #offerWhenDone()}), so nothing of that request stays.
     */
    HttpSysStream start(HttpSysConnection connection, long requestId, HttpVersion version, boolean head, boolean hasBody, long contentLength,
                        boolean requestWantsClose)
    {
        try (AutoLock ignored = _lock.lock())
        {
            _connection = connection;
            _queue = _connector.getRequestQueue();
            _requestId = requestId;
            _version = version;
            _head = head;
            _hasBody = hasBody;
            _requestWantsClose = requestWantsClose;
            _maxBodySize = _connector.getMaxRequestBodySize();
            _idleTimeout = _connector.getIdleTimeout();
            _lastActivity = System.nanoTime();
            _channel = null; // and _meta, by setChannel(); on HTTP/2 and HTTP/3 the last one comes with the stream, meta()
            _identity = null;
            _firstTask = null;
            _chunk = null;
            _readPending = false;
            _demanded = false;
            _bodyEof = false;
            _tunnel = false;
            _bodyBytes = 0;
            _bodyOp = null;
            _failure = null;
            _committed = false;
            _framing = null;
            _declaredLength = -1;
            _written = 0;
            _heldBack = null;
            _noBody = false;
            _bodyFailed = false;
            _trailers = null;
            _finalIssued = false;
            _cacheSeconds = 0;
            _sending = null;
            _sendCallback = null;
            _sendLast = false;
            _sendThread = null;
            _sendPooled = null;
            _sendingIssue = 0;
            _bodyIssue = 0;
            _cancelledWrite = null;
            _dispatched = false;
            _deferredDisconnect = false;
            _completed = false;
            _notified = false;
            _waking = 0;
            _reusable = false;
            _offered = false;
            _quiet = false;
            _generation++;
            if (!hasBody)
                _bodyEof = true;
            else if (_maxBodySize >= 0 && contentLength > _maxBodySize)
            {
                _connector.bodyTooLarge();
                _bodyFailed = true;
                _chunk = Content.Chunk.from(new HttpException.RuntimeException(HttpStatus.PAYLOAD_TOO_LARGE_413,
                    "Request body of " + contentLength + " bytes is larger than " + _maxBodySize), true);
            }
        }
        return this;
    }

    /**
     * This stream's request as a notification from outside its own calls names it (a disconnect, the idle
     * check, a close or a stop, which take their lists of streams at one moment and act on them later):
     * it acts on that request, or on none once the stream has started another.
     */
    record Handle(HttpSysStream stream, long generation)
    {
        void onDisconnect(int error)
        {
            stream.onDisconnect(generation, error);
        }

        void checkIdle(long now)
        {
            stream.checkIdle(generation, now);
        }

        void abort(Throwable cause)
        {
            stream.abort(generation, cause);
        }
    }

    /** @return a handle on the request this stream serves now */
    Handle handle()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return new Handle(this, _generation);
        }
    }

    private WindowsIdentity _identity;

    void identity(WindowsIdentity identity)
    {
        _identity = identity;
    }

    WindowsIdentity identity()
    {
        return _identity;
    }

    void setChannel(StreamMetaData meta)
    {
        _meta = meta;
        _channel = meta.channel;
    }

    /**
     * Whether a failure or timeout may go to the channel now: not once the stream completed, since its
     * channel may serve the next request by then. Once one may, the channel is not recycled (as Jetty's
     * HTTP/2 stream does since 12.1.14): the decision and the completion are one step under the lock.
     * Called with the lock held.
     */
    private boolean mayNotify()
    {
        if (_completed)
            return false;
        _notified = true;
        return true;
    }

    HttpChannel getChannel()
    {
        return _channel;
    }

    boolean isCompleted()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return _completed;
        }
    }

    long getRequestId()
    {
        return _requestId;
    }

    @Override
    public String getId()
    {
        return Long.toHexString(_requestId);
    }

    // ---- request body ----

    @Override
    public Content.Chunk read()
    {
        boolean issue = false;
        try (AutoLock ignored = _lock.lock())
        {
            Content.Chunk c = _chunk;
            if (c != null)
            {
                _chunk = Content.Chunk.next(c);
                return c;
            }
            if (_failure != null && !_bodyEof)
                return Content.Chunk.from(_failure, true);
            if (_bodyEof)
                return Content.Chunk.EOF;
            if (!_readPending)
            {
                _readPending = true;
                issue = true;
            }
        }
        if (!issue)
            return null;
        issueRead();
        // The read may have completed inline (data already there, or EOF, F-46).
        try (AutoLock ignored = _lock.lock())
        {
            Content.Chunk c = _chunk;
            if (c != null)
                _chunk = Content.Chunk.next(c);
            return c;
        }
    }

    @Override
    public void demand()
    {
        boolean available;
        boolean issue = false;
        try (AutoLock ignored = _lock.lock())
        {
            available = _chunk != null || _bodyEof || _failure != null;
            if (available)
            {
                if (_completed)
                    return;
                _waking++;
            }
            else
            {
                _demanded = true;
                if (!_readPending)
                {
                    _readPending = true;
                    issue = true;
                }
            }
        }
        if (available)
        {
            // We must dispatch, so an application thread does not become a producer.
            Runnable task = _channel.onContentAvailable();
            woken();
            if (task != null)
                _connector.execute(task);
        }
        if (issue)
            issueRead();
    }

    private void issueRead()
    {
        SimpleOp op;
        try (AutoLock ignored = _lock.lock())
        {
            if (_bodyOp == null)
            {
                _bodyOp = new SimpleOp(0);
                SimpleOp created = _bodyOp;
                created.onCompletion((error, bytes) -> onRead(created, error, bytes));
            }
            op = _bodyOp;
            _bodyIssue = op.issueCount() + 1;
        }
        // Zero copy: HTTP.sys writes the body into a pooled direct buffer, which becomes Jetty's chunk as is.
        RetainableByteBuffer.Mutable buffer = _connector.getByteBufferPool().acquire(BODY_BUFFER, true);
        ByteBuffer into = buffer.getByteBuffer();
        op.target(buffer);
        if (LOG.isDebugEnabled())
            LOG.debug("read {}", this);
        _queue.readBody(_requestId, op, com.sun.jna.Native.getDirectBufferPointer(into), into.capacity());
    }

    /** A body read completed (completion thread, or the caller's for a synchronous result, F-46). */
    private void onRead(SimpleOp op, int error, int bytes)
    {
        _lastActivity = System.nanoTime();
        // The read is over: its buffer is ours again (to hand over, or back to the pool).
        RetainableByteBuffer buffer = (RetainableByteBuffer)op.target();
        op.target(null);
        Content.Chunk chunk;
        if (error == Layout.NO_ERROR && bytes > 0 && buffer != null)
        {
            ByteBuffer bb = buffer.getByteBuffer();
            bb.limit(bytes).position(0);
            chunk = Content.Chunk.asChunk(bb, false, buffer);
            buffer = null;
        }
        else if (error == Layout.NO_ERROR)
        {
            chunk = null; // nothing this time: read again if demanded
        }
        else if (error == Layout.ERROR_HANDLE_EOF)
        {
            chunk = Content.Chunk.EOF;
        }
        else
        {
            chunk = Content.Chunk.from(newEofException("reading the request body", error), true);
        }
        if (buffer != null)
            buffer.release();
        boolean demanded;
        boolean again = false;
        try (AutoLock ignored = _lock.lock())
        {
            _readPending = false;
            if (Content.Chunk.isFailure(chunk))
                _bodyFailed = true;
            if (chunk != null && !Content.Chunk.isFailure(chunk) && chunk.hasRemaining())
            {
                _bodyBytes += chunk.remaining();
                if (_maxBodySize >= 0 && _bodyBytes > _maxBodySize && !_tunnel)
                {
                    chunk.release();
                    _connector.bodyTooLarge();
                    _bodyFailed = true;
                    chunk = Content.Chunk.from(new HttpException.RuntimeException(HttpStatus.PAYLOAD_TOO_LARGE_413,
                        "Request body larger than " + _maxBodySize + " bytes"), true);
                }
            }
            if (chunk == Content.Chunk.EOF)
                _bodyEof = true;
            if (_completed)
            {
                if (chunk != null)
                    chunk.release();
                return;
            }
            if (chunk != null)
            {
                if (_chunk != null)
                    _chunk.release();
                _chunk = chunk;
            }
            demanded = _demanded && (chunk != null);
            if (demanded)
            {
                _demanded = false;
                _waking++;
            }
            if (chunk == null && _demanded)
            {
                _readPending = true;
                again = true;
            }
        }
        if (again)
            issueRead();
        if (demanded)
        {
            Runnable task = _channel.onContentAvailable();
            woken();
            run(task);
        }
    }

    private void woken()
    {
        try (AutoLock ignored = _lock.lock())
        {
            _waking--;
        }
    }

    private void run(Runnable task)
    {
        if (task == null)
            return;
        if (Invocable.getInvocationType(task) == Invocable.InvocationType.NON_BLOCKING)
            task.run();
        else
            _connector.execute(task);
    }

    // ---- response ----

    @Override
    public void prepareResponse(HttpFields.Mutable headers)
    {
    }

    @Override
    public void send(MetaData.Request request, MetaData.Response response, boolean last, ByteBuffer content, Callback callback)
    {
        if (response != null && response.getStatus() == HttpStatus.SWITCHING_PROTOCOLS_101)
        {
            upgrade(response, callback);
            return;
        }
        if (response != null && HttpStatus.isInterim(response.getStatus()))
        {
            // HTTP.sys answers 100-continue itself (F-51); other interim responses are not sent.
            callback.succeeded();
            return;
        }
        // The list is only read while the op is laid out, under the lock; a send completed inline may lay
        // out the next one in it on this thread, once this one is issued.
        List<ByteBuffer> data = SEND_CHUNKS.get();
        data.clear();
        HeaderList trailers = HeaderList.EMPTY;
        int flags = 0;
        boolean first = response != null;
        HeaderList headers = null;
        SendOp op = null;
        Throwable failure;
        try (AutoLock ignored = _lock.lock())
        {
            failure = _failure != null ? _failure : _finalIssued ? new IllegalStateException("response already completed") : null;
            if (failure == null && first)
            {
                try
                {
                    headers = commit(request, response, last, content);
                }
                catch (RuntimeException x)
                {
                    failure = x; // not committed: Jetty can still send its error response
                }
            }
            if (failure == null)
            {
                boolean hasContent = content != null && content.hasRemaining();
                ResponseFraming framing = _framing;
                if (hasContent && _noBody)
                {
                    // F-178, F-179: HTTP.sys would put these bytes on the wire after a head that
                    // announces no body, where a client reads them as the next response.
                    content.position(content.limit());
                }
                else if (hasContent && framing.chunked)
                {
                    data.add(ByteBuffer.wrap((Integer.toHexString(content.remaining()) + "\r\n").getBytes(StandardCharsets.US_ASCII)));
                    data.add(content);
                    data.add(CRLF.duplicate());
                }
                else if (hasContent && !last && framing.trailerChunk && _trailers != null && _declaredLength >= 0 &&
                    _written + content.remaining() >= _declaredLength)
                {
                    // F-159: with a declared length HTTP.sys ends the stream with the write that completes
                    // it, so that write waits for the final send, which carries the trailers too.
                    ByteBuffer copy = ByteBuffer.allocate(content.remaining());
                    copy.put(content).flip();
                    _heldBack = copy;
                }
                else if (hasContent)
                {
                    data.add(content);
                }
                if (_heldBack != null && last)
                {
                    data.add(0, _heldBack);
                    _heldBack = null;
                }
                for (int i = 0, n = data.size(); i < n; i++)
                    _written += data.get(i).remaining();
                _sendPooled = direct(data);
                if (last && framing.chunked)
                    data.add(_trailers == null ? LAST_CHUNK.duplicate()
                        : ByteBuffer.wrap(ResponseHeaders.lastChunk(_trailers).getBytes(StandardCharsets.ISO_8859_1)));
                if (last && framing.trailerChunk && _trailers != null)
                    trailers = ResponseHeaders.trailerFields(_trailers);
                flags = framing.flags(first, last);
                if (_connector.isGoAwayRefused())
                    flags &= ~Layout.HTTP_SEND_RESPONSE_FLAG_GOAWAY;
                if (!first && !last && data.isEmpty())
                {
                    op = null; // nothing to write now (or the write is held back)
                }
                else
                {
                    Callback cb = callback;
                    Completion done = this;
                    _sendCallback = callback;
                    _sendLast = last;
                    if (first && (flags & Layout.HTTP_SEND_RESPONSE_FLAG_GOAWAY) != 0)
                    {
                        // F-157: Windows builds before 19H2 refuse the flag (ERROR_INVALID_PARAMETER), as a
                        // call that did nothing: the same send goes again without it, once per connector.
                        int plain = flags & ~Layout.HTTP_SEND_RESPONSE_FLAG_GOAWAY;
                        List<ByteBuffer> again = new ArrayList<>(data.size());
                        for (ByteBuffer b : data)
                            again.add(b.duplicate());
                        HeaderList head = headers.copy(); // this thread's list is reused by the next commit
                        HeaderList tail = trailers;
                        _sendCallback = null;
                        done = (error, bytes) ->
                        {
                            if (error != Layout.ERROR_INVALID_PARAMETER)
                            {
                                onSent(cb, error, last);
                                return;
                            }
                            _connector.goAwayRefused();
                            SendOp retry = SendOp.response(response.getStatus(), reason(response), head, again, tail,
                                (e, b) -> onSent(cb, e, last));
                            try (AutoLock retrying = _lock.lock())
                            {
                                _sending = retry;
                                _sendingIssue = retry.issueCount() + 1;
                            }
                            _queue.sendResponse(_requestId, plain, retry);
                        };
                    }
                    op = first ? SendOp.response(response.getStatus(), reason(response), headers, data, trailers, done)
                               : SendOp.body(data, trailers, done);
                    if (first && _cacheSeconds > 0)
                        op.cacheFor(_cacheSeconds);
                    _sending = op;
                    _sendingIssue = op.issueCount() + 1;
                    if (last)
                        _finalIssued = true;
                }
            }
        }
        if (failure != null)
        {
            callback.failed(failure);
            return;
        }
        if (op == null)
        {
            callback.succeeded();
            return;
        }
        _lastActivity = System.nanoTime();
        if (LOG.isDebugEnabled())
            LOG.debug("send {} first={} last={} flags={} {}", op, first, last, flags, this);
        // A send that completes inline (F-89) completes its callback on this thread, as Jetty's own connector
        // does when a write completes at once; one completed on a completion thread never blocks it.
        _sendThread = Thread.currentThread();
        try
        {
            if (first)
                _queue.sendResponse(_requestId, flags, op);
            else
                _queue.sendBody(_requestId, flags, op);
        }
        finally
        {
            _sendThread = null;
        }
        data.clear();
        if (last)
            offerWhenDone(); // completed inline: the stream was kept from its connection until this thread left it
    }

    /** The completion of a send laid out with this stream as its completion (one object per stream, none per send). */
    @Override
    public void completed(int error, int bytes)
    {
        Callback callback;
        boolean last;
        try (AutoLock ignored = _lock.lock())
        {
            callback = _sendCallback;
            last = _sendLast;
            _sendCallback = null;
        }
        onSent(callback, error, last);
    }

    /**
     * A 101: HTTP.sys sends it in opaque mode (F-144…F-147) and the request becomes a byte stream; once it
     * went out, the endpoint reads and writes that stream, and {@link #succeeded()} hands it to the
     * connection Jetty upgraded to. Where HTTP.sys cannot (HTTP/2 has no opaque mode, F-151; a Windows without
     * it), the upgrade fails with a clear error and the application can still answer.
     */
    private void upgrade(MetaData.Response response, Callback callback)
    {
        Throwable failure;
        try (AutoLock ignored = _lock.lock())
        {
            failure = _failure != null ? _failure : _committed ? new IllegalStateException("response already committed") :
                ResponseFraming.multiplexed(_version) ? new HttpException.RuntimeException(HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505,
                    "No upgrade over " + _version + ": HTTP.sys has no opaque mode there (F-151)") : null;
            if (failure == null)
                _committed = true;
        }
        if (failure != null)
        {
            if (LOG.isDebugEnabled())
                LOG.debug("Upgrade refused for request {}: {}", getId(), failure.getMessage());
            callback.failed(failure);
            return;
        }
        HeaderList headers;
        try
        {
            headers = ResponseHeaders.build(response, -1, false, false, true, ResponseHeaders.maxHeadBytes(_connector.getHttpConfiguration()),
                new HeaderList());
        }
        catch (RuntimeException x)
        {
            callback.failed(x);
            return;
        }
        SendOp op = SendOp.opaqueResponse(HttpStatus.SWITCHING_PROTOCOLS_101, "Switching Protocols", headers, (error, bytes) ->
        {
            try (AutoLock ignored = _lock.lock())
            {
                _sending = null;
                if (error == Layout.NO_ERROR)
                {
                    // The id now carries a byte stream: later writes of this response are raw bytes (a servlet's
                    // upgrade writes them here; Jetty's WebSocket through the endpoint).
                    _framing = ResponseFraming.OPAQUE;
                    _noBody = false;
                }
            }
            if (error == Layout.NO_ERROR)
            {
                _connection.getEndPoint().opaque(new OpaqueStream(_connector, _requestId, _connection.getEndPoint()));
                complete(callback, null);
            }
            else if (error == Layout.ERROR_INVALID_PARAMETER)
            {
                // HTTP.sys cannot upgrade this request (a Windows without opaque mode, F-144): the client gets
                // a 501 now, not a 101 followed by nothing.
                _connector.upgradeRefused(getId(), error);
                SendOp refusal = SendOp.response(HttpStatus.NOT_IMPLEMENTED_501, "Not Implemented", HeaderList.EMPTY, List.of(), (e, b) -> { });
                try (AutoLock ignored = _lock.lock())
                {
                    _finalIssued = true;
                }
                _queue.sendResponse(_requestId, Layout.HTTP_SEND_RESPONSE_FLAG_DISCONNECT, refusal);
                complete(callback, new java.io.IOException("HTTP.sys refused the 101 in opaque mode: " + Layout.describeError(error)));
            }
            else
            {
                complete(callback, new java.io.IOException("The 101 in opaque mode failed: " + Layout.describeError(error)));
            }
        });
        try (AutoLock ignored = _lock.lock())
        {
            _sending = op;
            _sendingIssue = op.issueCount() + 1;
        }
        _queue.sendResponse(_requestId, Layout.HTTP_SEND_RESPONSE_FLAG_OPAQUE | Layout.HTTP_SEND_RESPONSE_FLAG_MORE_DATA |
            Layout.HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA, op);
    }

    /**
     * A servlet's {@code HttpServletRequest.upgrade()} tunnels through this stream after the 101: its
     * reads are then the raw bytes of the opaque stream until the client's FIN, with no body limit.
     */
    void startTunnel()
    {
        try (AutoLock ignored = _lock.lock())
        {
            _tunnel = true;
            _bodyEof = false;
        }
    }

    /**
     * Decides the framing of the response and builds its head, under the lock. Throws, leaving the
     * response uncommitted, where Jetty's own generator refuses the response (a 500 follows).
     */
    private HeaderList commit(MetaData.Request request, MetaData.Response response, boolean last, ByteBuffer content)
    {
        int status = response.getStatus();
        boolean hasContent = content != null && content.hasRemaining();
        boolean noBodyStatus = ResponseHeaders.noBodyStatus(status);
        if (noBodyStatus && hasContent && !_head)
            throw new HttpException.RuntimeException(HttpStatus.INTERNAL_SERVER_ERROR_500, "Content for no content response");
        boolean noBody = _head || noBodyStatus;
        long length = response.getContentLength();
        if (length < 0)
        {
            String field = ResponseHeaders.readable(response.getHttpFields()).get(HttpHeader.CONTENT_LENGTH);
            if (field != null)
            {
                try
                {
                    length = Long.parseLong(field.trim());
                }
                catch (NumberFormatException x)
                {
                    throw new HttpException.RuntimeException(HttpStatus.INTERNAL_SERVER_ERROR_500, "Invalid Content-Length");
                }
            }
        }
        if (noBody)
        {
            // HEAD keeps the length the GET would have (F-178: HTTP.sys keeps it, computes none).
            if (_head && length < 0 && last)
                length = hasContent ? content.remaining() : 0;
        }
        // A whole response to a GET that says it may be cached is offered to the kernel cache (F-162, F-166);
        // HTTP.sys then counts the length itself (F-56), since a cached entry also answers Range requests and
        // kept the application's Content-Length beside its own (F-165).
        _cacheSeconds = 0;
        if (last && !noBody && hasContent && status != HttpStatus.PARTIAL_CONTENT_206 && _connector.isResponseCaching() &&
            request != null && HttpMethod.GET.is(request.getMethod()))
        {
            _cacheSeconds = ResponseCaching.timeToLive(response.getHttpFields(), System.currentTimeMillis());
            if (_cacheSeconds > 0 && length == content.remaining())
                length = -1;
        }
        ResponseFraming framing = ResponseFraming.decide(_version, noBody, length, last, mustClose(response));
        HeaderList headers = ResponseHeaders.build(response, length, framing.chunked, framing.disconnect, framing.connectionFields,
            ResponseHeaders.maxHeadBytes(_connector.getHttpConfiguration()), SEND_HEADERS.get());
        _committed = true;
        _noBody = noBody;
        _framing = framing;
        _declaredLength = noBody ? -1 : length;
        _trailers = framing.chunked || framing.trailerChunk ? response.getTrailersSupplier() : null;
        return headers;
    }

    /** Under the lock: whether the connection must not serve another request after this response. */
    private boolean mustClose(MetaData.Response response)
    {
        // A failed body leaves unknown bytes on the connection: it is not reused (as Jetty's own connector).
        // A stream of HTTP/2 or HTTP/3 ends on its own: only the application or a stopping server ends
        // its connection (GOAWAY).
        boolean multiplexed = ResponseFraming.multiplexed(_version);
        if (_connector.isShutdown() || (!multiplexed && (_requestWantsClose || _bodyFailed)))
            return true;
        return response != null && ResponseHeaders.saysClose(ResponseHeaders.readable(response.getHttpFields()));
    }

    private static String reason(MetaData.Response response)
    {
        String reason = response.getReason();
        if (reason == null)
            reason = HttpStatus.getMessage(response.getStatus());
        return reason == null ? "" : ResponseHeaders.sanitizeValue(reason);
    }

    private void onSent(Callback callback, int error, boolean last)
    {
        _lastActivity = System.nanoTime();
        Callback cancelled;
        Throwable cause;
        List<RetainableByteBuffer> pooled;
        try (AutoLock ignored = _lock.lock())
        {
            _sending = null;
            pooled = _sendPooled;
            _sendPooled = null;
            cancelled = _cancelledWrite;
            _cancelledWrite = null;
            cause = _failure;
        }
        if (pooled != null)
            pooled.forEach(RetainableByteBuffer::release); // HTTP.sys is done reading them
        if (cancelled != null)
        {
            // cancelSend(): the application's write ends only now that HTTP.sys is done with the send.
            Throwable x = cause != null ? cause : newEofException("sending the response", error);
            complete(callback, x);
            complete(cancelled, x);
            return;
        }
        if (error == Layout.NO_ERROR)
        {
            complete(callback, null);
        }
        else
        {
            Throwable failure;
            try (AutoLock ignored = _lock.lock())
            {
                failure = _failure;
            }
            complete(callback, failure != null ? failure : newEofException("sending the response", error));
        }
    }

    /**
     * Large heap content (a servlet's {@code write(byte[])}) is copied into pooled direct buffers, which the
     * send points at until it completes, instead of into a native block of the send's size per write.
     *
     * @return the pooled buffers to release when the send completes, or null
     */
    private List<RetainableByteBuffer> direct(List<ByteBuffer> data)
    {
        boolean any = false;
        for (int i = 0, n = data.size(); i < n && !any; i++)
            any = !data.get(i).isDirect() && data.get(i).remaining() > HEAP_COPY_MAX;
        if (!any)
            return null; // the common case allocates nothing
        List<RetainableByteBuffer> pooled = null;
        for (java.util.ListIterator<ByteBuffer> it = data.listIterator(); it.hasNext(); )
        {
            ByteBuffer b = it.next();
            if (b.isDirect() || b.remaining() <= HEAP_COPY_MAX)
                continue;
            if (pooled == null)
                pooled = new ArrayList<>();
            it.remove();
            while (b.hasRemaining())
            {
                RetainableByteBuffer piece = _connector.getByteBufferPool().acquire(Math.min(POOLED_PIECE, b.remaining()), true);
                ByteBuffer d = piece.getByteBuffer();
                d.clear();
                ByteBuffer src = b.slice();
                src.limit(Math.min(d.remaining(), src.remaining()));
                d.put(src).flip();
                b.position(b.position() + d.remaining());
                pooled.add(piece);
                it.add(d);
            }
        }
        return pooled;
    }

    private void complete(Callback callback, Throwable failure)
    {
        if (Invocable.getInvocationType(callback) == Invocable.InvocationType.NON_BLOCKING || _sendThread == Thread.currentThread())
        {
            if (failure == null)
                callback.succeeded();
            else
                callback.failed(failure);
            return;
        }
        _connector.execute(failure == null ? callback::succeeded : () -> callback.failed(failure));
    }

    @Override
    public Runnable cancelSend(Throwable cause, Callback appCallback)
    {
        return () ->
        {
            boolean inFlight;
            try (AutoLock ignored = _lock.lock())
            {
                if (_failure == null)
                    _failure = cause;
                inFlight = _sending != null;
                if (inFlight)
                    _cancelledWrite = appCallback;
            }
            abortNative();
            // With a send in flight the write fails when that send completes or is cancelled (onSent).
            if (!inFlight)
                appCallback.failed(cause);
        };
    }

    @Override
    public long getIdleTimeout()
    {
        return _idleTimeout;
    }

    @Override
    public void setIdleTimeout(long idleTimeoutMs)
    {
        _idleTimeout = idleTimeoutMs;
    }

    @Override
    public boolean isCommitted()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return _committed;
        }
    }

    @Override
    public Throwable consumeAvailable()
    {
        // HTTP.sys drains an unread body itself (F-49), so the connection stays persistent.
        return null;
    }

    // ---- completion ----

    @Override
    public void succeeded()
    {
        if (LOG.isDebugEnabled())
            LOG.debug("succeeded {}", this);
        HttpChannel channel = _channel;
        org.eclipse.jetty.server.Request request = channel == null ? null : channel.getRequest();
        Object upgraded = request == null ? null : request.getAttribute(org.eclipse.jetty.server.HttpStream.UPGRADE_CONNECTION_ATTRIBUTE);
        boolean recycle = release() && upgraded == null && _connection.getEndPoint().opaque() == null;
        if (upgraded instanceof org.eclipse.jetty.io.Connection connection && _connection.getEndPoint().opaque() != null)
            _connection.getEndPoint().upgrade(connection);
        if (recycle && channel != null)
        {
            // The next request of this connection runs on the same channel and with it the servlet layer's
            // per-channel objects, as on Jetty's own HTTP/1 connection; nothing of this stream reaches it.
            channel.recycle();
            if (!ResponseFraming.multiplexed(_version))
                _connection.offerChannel(_meta); // on HTTP/2 and HTTP/3 it stays with this stream (offerWhenDone)
            try (AutoLock ignored = _lock.lock())
            {
                _reusable = _quiet;
            }
            offerWhenDone();
        }
    }

    /**
     * Gives this stream back to its connection for the next request (as Jetty's HTTP/2 recycles its streams'
     * channels) once all of these are over: Jetty completed it cleanly with nothing of it left in HTTP.sys
     * (no read or send in flight, so no completion of this request can come later), its first dispatch
     * returned, and no thread is inside {@link #send} for it. Whichever ends last gives it: before that, one
     * of them may still touch these fields, which the next request's {@link #start} sets anew.
     * Notifications cannot reach the next request by mistake: a disconnect, the idle sweep, a close and a stop
     * act through a {@link Handle}, which names the request it was made for; and no stream is kept by a
     * connection marked disconnected ({@link HttpSysConnection#offerStream}).
     */
    private void offerWhenDone()
    {
        boolean offer;
        boolean multiplexed;
        try (AutoLock ignored = _lock.lock())
        {
            offer = _reusable && _dispatched && _sendThread == null && !_offered;
            if (offer)
                _offered = true;
            multiplexed = ResponseFraming.multiplexed(_version);
        }
        if (!offer)
            return;
        if (multiplexed)
            _connector.offerMultiplexed(this); // with its channel: the next stream comes with a connection of its own
        else
            _connection.offerStream(this);
    }

    /** @return the channel with its metadata this stream had last, kept with it on HTTP/2 and HTTP/3 */
    StreamMetaData meta()
    {
        return _meta;
    }

    @Override
    public void failed(Throwable x)
    {
        if (LOG.isDebugEnabled())
            LOG.debug("failed {}", this, x);
        abortNative();
        release();
    }

    /** @return whether the channel may be recycled: it completed here, cleanly, with nothing told to it */
    private boolean release()
    {
        SimpleOp body;
        long bodyIssue;
        Content.Chunk chunk;
        boolean recyclable;
        try (AutoLock ignored = _lock.lock())
        {
            if (_completed)
                return false;
            _completed = true;
            recyclable = !_notified && _waking == 0 && _failure == null && !_bodyFailed && !_tunnel;
            _quiet = recyclable && !_readPending && _sending == null;
            body = _bodyOp;
            bodyIssue = _bodyIssue;
            _bodyOp = null;
            chunk = _chunk;
            _chunk = null;
        }
        if (chunk != null)
            chunk.release();
        if (body != null)
        {
            _queue.cancelIo(body, bodyIssue);
            body.free(); // now, or when its cancelled read completes
        }
        _connector.streamCompleted(this);
        _connection.removeStream(this);
        return recyclable;
    }

    /**
     * Ends the request in HTTP.sys so the client sees a reset, not a hang: HttpCancelHttpRequest,
     * or CancelIoEx on the send in flight once the final send was issued (F-64, F-80, F-81).
     */
    void abortNative()
    {
        SendOp sending;
        long sendingIssue;
        SimpleOp body;
        long bodyIssue;
        try (AutoLock ignored = _lock.lock())
        {
            sending = _sending;
            sendingIssue = _sendingIssue;
            body = _bodyOp;
            bodyIssue = _bodyIssue;
        }
        _connector.requestCancelled();
        if (ResponseFraming.multiplexed(_version))
        {
            // F-158: the stream is reset with a code of ours (HTTP.sys's own would be CANCEL), never the connection.
            int code = resetCode();
            int set = _queue.setStreamError(_requestId, code);
            if (LOG.isDebugEnabled())
                LOG.debug("stream error {} for {}: {}", code, this, Layout.describeError(set));
        }
        int rc = _queue.cancelRequest(_requestId);
        if (LOG.isDebugEnabled())
            LOG.debug("HttpCancelHttpRequest {}: {}", this, Layout.describeError(rc));
        if (rc != Layout.NO_ERROR)
        {
            // Not cancelled in HTTP.sys (already gone, final send issued, or the call failed): end this
            // request's own operations, so nothing of it stays inside HTTP.sys.
            if (sending != null)
                _queue.cancelIo(sending, sendingIssue);
            if (body != null)
                _queue.cancelIo(body, bodyIssue);
            endWithDisconnect();
        }
    }

    /**
     * The RST_STREAM code of an aborted HTTP/2 or HTTP/3 stream: the application's, given as the request
     * attribute {@link HttpSysConnector#RESET_CODE_ATTRIBUTE}, else INTERNAL_ERROR once the head was sent
     * and CANCEL before (RFC 9113 §7; what ASP.NET sends, F-158).
     */
    private int resetCode()
    {
        HttpChannel channel = _channel;
        org.eclipse.jetty.server.Request request = channel == null ? null : channel.getRequest();
        Object code = request == null ? null : request.getAttribute(HttpSysConnector.RESET_CODE_ATTRIBUTE);
        if (code instanceof Number n)
            return n.intValue();
        boolean committed;
        try (AutoLock ignored = _lock.lock())
        {
            committed = _committed;
        }
        return committed ? 0x2 : 0x8;
    }

    /**
     * When HttpCancelHttpRequest did not take, the request is ended by a final send with DISCONNECT
     * (F-62): the connection closes, so the client sees the failure at once instead of waiting for a
     * response that never ends. A request that is really gone fails this send harmlessly.
     */
    private void endWithDisconnect()
    {
        SendOp op;
        boolean committed;
        try (AutoLock ignored = _lock.lock())
        {
            if (_finalIssued)
                return;
            _finalIssued = true;
            committed = _committed;
            Completion done = (error, bytes) ->
            {
                if (LOG.isDebugEnabled())
                    LOG.debug("ended with DISCONNECT {}: {}", this, Layout.describeError(error));
            };
            op = committed ? SendOp.body(List.of(), done)
                : SendOp.response(HttpStatus.INTERNAL_SERVER_ERROR_500, HttpStatus.getMessage(HttpStatus.INTERNAL_SERVER_ERROR_500),
                    HeaderList.EMPTY, List.of(), done);
        }
        if (committed)
            _queue.sendBody(_requestId, Layout.HTTP_SEND_RESPONSE_FLAG_DISCONNECT, op);
        else
            _queue.sendResponse(_requestId, Layout.HTTP_SEND_RESPONSE_FLAG_DISCONNECT, op);
    }

    private Runnable _firstTask;

    /** @return the first dispatch: the channel's task, then {@link #dispatched(long)} (the stream itself, no allocation) */
    Runnable firstDispatch(Runnable task)
    {
        _firstTask = task;
        return this;
    }

    /** The first dispatch; see {@link #firstDispatch(Runnable)}. */
    @Override
    public void run()
    {
        Runnable task;
        long generation;
        try (AutoLock ignored = _lock.lock())
        {
            // Its request: the stream is not given to another before this dispatch returned (offerWhenDone).
            task = _firstTask;
            _firstTask = null;
            generation = _generation;
        }
        try
        {
            task.run();
        }
        finally
        {
            dispatched(generation);
        }
    }

    /**
     * The first dispatch returned: a disconnect seen during it now reaches Jetty, so a request that
     * went async after the client left still gets its failure (AsyncListener.onError).
     */
    void dispatched(long generation)
    {
        boolean deliver;
        HttpSysConnection arm;
        try (AutoLock ignored = _lock.lock())
        {
            if (generation != _generation)
                return;
            _dispatched = true;
            deliver = _deferredDisconnect && mayNotify();
            _deferredDisconnect = false;
            arm = !_completed && !deliver && _connection.armsWaitLate() ? _connection : null; // read before another request may take this stream
        }
        if (arm != null)
            arm.armDisconnectWait(); // the request outlives its first dispatch (HTTP/2, HTTP/3)
        if (deliver)
            _connector.executeImmediately(_channel.onRemoteFailure(disconnectFailure()));
        else
            offerWhenDone();
    }

    private EofException disconnectFailure()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return _failure instanceof EofException eof ? eof : new EofException("HTTP.sys: client disconnected");
        }
    }

    /**
     * The client connection is gone (F-72): fail the request as a remote failure, unless it is complete.
     * Pending I/O fails at once; Jetty is told at once, or at the end of the first dispatch (see
     * {@link HttpSysConnector#setEagerDisconnectWait(boolean)}).
     */
    void onDisconnect(long generation, int error)
    {
        EofException eof;
        SendOp sending;
        long sendingIssue;
        SimpleOp body;
        long bodyIssue;
        boolean defer;
        try (AutoLock ignored = _lock.lock())
        {
            if (_completed || generation != _generation)
                return;
            // The whole response is with HTTP.sys and no read waits: the final send's completion tells whether it
            // went out, and is the request's last word. On HTTP/2 the wait of a stream completes as the stream ends
            // (F-77), so a request that is answered is not failed after all by the end of its own stream.
            if (_finalIssued && !_readPending)
                return;
            eof = new EofException("HTTP.sys: client disconnected");
            if (_failure == null)
                _failure = eof;
            sending = _finalIssued ? null : _sending; // F-83: never cancel a final send in flight
            sendingIssue = _sendingIssue;
            body = _readPending ? _bodyOp : null;
            bodyIssue = _bodyIssue;
            defer = !_dispatched && !_connector.isEagerDisconnectWait();
            if (defer)
                _deferredDisconnect = true;
            else
                mayNotify();
        }
        if (LOG.isDebugEnabled())
            LOG.debug("client disconnected {}{}", this, defer ? " (told at the end of the dispatch)" : "");
        if (body != null)
            _queue.cancelIo(body, bodyIssue);
        if (sending != null)
            _queue.cancelIo(sending, sendingIssue);
        if (defer)
            return;
        Runnable task = _channel.onRemoteFailure(eof);
        _connector.executeImmediately(task);
    }

    /** Stops the request: used by idle timeout without a request being handled, and by stop. */
    void abort(long generation, Throwable cause)
    {
        try (AutoLock ignored = _lock.lock())
        {
            if (generation != _generation || !mayNotify())
                return;
        }
        Runnable task = _channel.onFailure(cause);
        abortNative();
        _connector.executeImmediately(task);
    }

    /** Called periodically by the connector: fires the idle timeout when no I/O happened for long. */
    void checkIdle(long generation, long now)
    {
        long timeout = _idleTimeout;
        if (timeout <= 0 || now - _lastActivity < timeout * 1_000_000L)
            return;
        try (AutoLock ignored = _lock.lock())
        {
            // Again under the lock: the stream may have started its connection's next request since.
            if (generation != _generation || now - _lastActivity < timeout * 1_000_000L || !mayNotify())
                return;
            if (!_bodyEof)
                _bodyFailed = true; // the rest of the upload may still come: the connection is not reused
        }
        _lastActivity = now;
        TimeoutException x = new TimeoutException("Idle timeout " + timeout + " ms");
        HttpChannel.IdleTimeoutTask t = _channel.onIdleTimeout(x);
        if (t == null)
            return;
        if (t.handlingRequest())
        {
            _connector.executeImmediately(t.action());
        }
        else
        {
            if (t.action() != null)
                t.action().run();
            abortNative();
        }
    }

    private EofException newEofException(String what, int error)
    {
        EofException x = new EofException("HTTP.sys: client connection lost while " + what + ": " + Layout.describeError(error));
        try (AutoLock ignored = _lock.lock())
        {
            if (_failure == null && error != Layout.ERROR_OPERATION_ABORTED)
                _failure = x;
        }
        return x;
    }

    @Override
    public String toString()
    {
        return "HttpSysStream@" + Integer.toHexString(hashCode()) + "{id=" + Long.toHexString(_requestId) + ",conn=" +
            Long.toHexString(_connection.getConnectionId()) + ",committed=" + _committed + ",final=" + _finalIssued +
            ",completed=" + _completed + "}";
    }
}
