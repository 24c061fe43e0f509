package io.github.jettyhttpsys;

import java.nio.ByteBuffer;
import java.nio.channels.ReadPendingException;
import java.nio.channels.WritePendingException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.jettyhttpsys.engine.RequestQueue;
import io.github.jettyhttpsys.engine.SendOp;
import io.github.jettyhttpsys.engine.SimpleOp;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.AutoLock;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The byte stream of a request HTTP.sys upgraded to opaque mode with a 101 (F-144…F-150): what Jetty's
 * WebSocket (or a servlet's {@code WebConnection}) reads and writes through the connection's endpoint
 * once the 101 went out. One {@code HttpReceiveRequestEntityBody} and one {@code HttpSendResponseEntityBody}
 * outstanding at most (F-148, F-149), each issued only when Jetty asks (demand, back-pressure): no thread
 * and no busy loop per socket. Ends with a final DISCONNECT send (close) or {@code HttpCancelHttpRequest}
 * (abort); a client that goes away fails what is pending at once, through the connection's disconnect wait.
 */
final class OpaqueStream
{
    private static final Logger LOG = LoggerFactory.getLogger(OpaqueStream.class);
    private static final int READ_SIZE = 64 * 1024;
    private static final int MORE = Layout.HTTP_SEND_RESPONSE_FLAG_MORE_DATA | Layout.HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA;

    private final AutoLock _lock = new AutoLock();
    private final HttpSysConnector _connector;
    private final RequestQueue _queue;
    private final long _requestId;
    private final HttpSysEndPoint _endPoint;
    // guarded by _lock
    private ByteBuffer _in;               // bytes read and not filled yet
    private boolean _eof;
    private Throwable _failure;
    private SimpleOp _reading;            // the read in flight
    private Callback _fillInterest;
    private boolean _writing;
    private boolean _closed;
    private volatile long _lastActivity = System.nanoTime();
    private Scheduler.Task _idleTask;

    OpaqueStream(HttpSysConnector connector, long requestId, HttpSysEndPoint endPoint)
    {
        _connector = connector;
        _queue = connector.getRequestQueue();
        _requestId = requestId;
        _endPoint = endPoint;
    }

    long requestId()
    {
        return _requestId;
    }

    // ---- reading ----

    int fill(ByteBuffer buffer)
    {
        try (AutoLock ignored = _lock.lock())
        {
            if (_in != null && _in.hasRemaining())
            {
                int pos = org.eclipse.jetty.util.BufferUtil.flipToFill(buffer);
                int n = Math.min(_in.remaining(), buffer.remaining());
                ByteBuffer slice = _in.slice();
                slice.limit(n);
                buffer.put(slice);
                _in.position(_in.position() + n);
                org.eclipse.jetty.util.BufferUtil.flipToFlush(buffer, pos);
                return n;
            }
            if (_eof || _failure != null || _closed)
                return -1;
            return 0;
        }
    }

    void fillInterested(Callback callback)
    {
        boolean ready;
        boolean issue = false;
        try (AutoLock ignored = _lock.lock())
        {
            if (_fillInterest != null)
                throw new ReadPendingException();
            ready = (_in != null && _in.hasRemaining()) || _eof || _failure != null || _closed;
            if (!ready)
            {
                _fillInterest = callback;
                issue = _reading == null;
            }
        }
        if (ready)
            _connector.execute(callback::succeeded);
        else if (issue)
            read();
    }

    boolean isFillInterested()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return _fillInterest != null;
        }
    }

    private void read()
    {
        SimpleOp op = new SimpleOp(READ_SIZE);
        try (AutoLock ignored = _lock.lock())
        {
            if (_closed)
            {
                op.free();
                return;
            }
            _reading = op;
        }
        op.onCompletion((error, bytes) -> onRead(op, error, bytes));
        _queue.readBody(_requestId, op);
    }

    private void onRead(SimpleOp op, int error, int bytes)
    {
        _lastActivity = System.nanoTime();
        Callback interest;
        Throwable failure = null;
        try (AutoLock ignored = _lock.lock())
        {
            _reading = null;
            if (error == Layout.NO_ERROR && bytes > 0)
            {
                ByteBuffer b = ByteBuffer.allocate(bytes);
                b.put(op.view().duplicate().position(io.github.jettyhttpsys.engine.NativeOp.PAYLOAD).limit(io.github.jettyhttpsys.engine.NativeOp.PAYLOAD + bytes));
                b.flip();
                _in = b;
            }
            else if (error == Layout.ERROR_HANDLE_EOF || (error == Layout.NO_ERROR && bytes == 0))
            {
                _eof = true; // the client's FIN (F-150)
            }
            else if (_failure == null)
            {
                _failure = new EofException("opaque read: " + Layout.describeError(error));
            }
            interest = _fillInterest;
            _fillInterest = null;
            failure = _failure;
        }
        op.free();
        if (LOG.isDebugEnabled())
            LOG.debug("opaque read {} bytes {} on {}", bytes, Layout.describeError(error), this);
        if (interest != null)
        {
            if (failure != null && !(failure instanceof EofException))
                interest.failed(failure);
            else
                interest.succeeded(); // fill() then returns the bytes, or -1
        }
    }

    // ---- writing ----

    void write(Callback callback, ByteBuffer... buffers)
    {
        List<ByteBuffer> data = new ArrayList<>(buffers.length);
        for (ByteBuffer b : buffers)
            if (b != null && b.hasRemaining())
                data.add(b);
        Throwable failure;
        try (AutoLock ignored = _lock.lock())
        {
            if (_writing)
                throw new WritePendingException();
            failure = _failure != null ? _failure : _closed ? new EofException("opaque stream closed") : null;
            if (failure == null && !data.isEmpty())
                _writing = true;
        }
        if (failure != null)
        {
            callback.failed(failure);
            return;
        }
        if (data.isEmpty())
        {
            callback.succeeded();
            return;
        }
        _lastActivity = System.nanoTime();
        // The bytes are copied into the op's native block: HTTP.sys reads them until the completion (F-149).
        SendOp op = SendOp.body(data, (error, bytes) ->
        {
            _lastActivity = System.nanoTime();
            try (AutoLock ignored = _lock.lock())
            {
                _writing = false;
                if (error != Layout.NO_ERROR && _failure == null)
                    _failure = new EofException("opaque write: " + Layout.describeError(error));
            }
            if (error == Layout.NO_ERROR)
                callback.succeeded();
            else
                callback.failed(new EofException("opaque write: " + Layout.describeError(error)));
        });
        _queue.sendBody(_requestId, MORE, op);
    }

    boolean isWriting()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return _writing;
        }
    }

    // ---- the end ----

    /**
     * The connection's disconnect wait completed: the client closed its side (FIN) or went away (RST). Which
     * one the stream itself says: a read is made if none is in flight, and its EOF or error reaches Jetty as
     * it would from a socket, at once.
     */
    void onPeerSignal()
    {
        boolean issue;
        try (AutoLock ignored = _lock.lock())
        {
            issue = _reading == null && !_closed && !_eof && _failure == null && (_in == null || !_in.hasRemaining());
        }
        if (issue)
            read();
    }

    /** An abort (idle timeout, connector stop): what is pending fails now and the client sees a reset. */
    void onDisconnect(Throwable cause)
    {
        Callback interest;
        SimpleOp reading;
        try (AutoLock ignored = _lock.lock())
        {
            if (_failure == null)
                _failure = cause;
            interest = _fillInterest;
            _fillInterest = null;
            reading = _reading;
        }
        if (reading != null)
            _queue.cancelIo(reading, reading.issueCount());
        if (interest != null)
            interest.failed(cause);
        close(cause);
    }

    /** A graceful close (null) sends DISCONNECT after what was written; a failure cancels the request (a reset). */
    void close(Throwable cause)
    {
        SimpleOp reading;
        try (AutoLock ignored = _lock.lock())
        {
            if (_closed)
                return;
            _closed = true;
            reading = _reading;
            if (_idleTask != null)
                _idleTask.cancel();
        }
        if (LOG.isDebugEnabled())
            LOG.debug("opaque close {} {}", this, String.valueOf(cause));
        if (cause == null)
        {
            SendOp end = SendOp.body(List.of(), (error, bytes) ->
            {
                if (LOG.isDebugEnabled())
                    LOG.debug("opaque DISCONNECT {}: {}", this, Layout.describeError(error));
            });
            if (_queue.sendBody(_requestId, Layout.HTTP_SEND_RESPONSE_FLAG_DISCONNECT, end) != Layout.NO_ERROR)
                _queue.cancelRequest(_requestId);
        }
        else
        {
            _queue.cancelRequest(_requestId);
        }
        if (reading != null)
            _queue.cancelIo(reading, reading.issueCount());
        _endPoint.opaqueClosed(cause);
    }

    /** Idle timeout of the upgraded connection (HTTP.sys has no timers for it, chapter C): Jetty's, checked here. */
    void scheduleIdleCheck(Scheduler scheduler)
    {
        long timeout = _endPoint.getIdleTimeout();
        if (timeout <= 0)
            return;
        try (AutoLock ignored = _lock.lock())
        {
            if (_closed)
                return;
            _idleTask = scheduler.schedule(() -> checkIdle(scheduler), Math.max(100, timeout / 4), TimeUnit.MILLISECONDS);
        }
    }

    private void checkIdle(Scheduler scheduler)
    {
        long timeout = _endPoint.getIdleTimeout();
        long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - _lastActivity);
        if (timeout > 0 && idle >= timeout && !isWriting())
        {
            Connection connection = _endPoint.getUpgradedConnection();
            TimeoutException x = new TimeoutException("Idle timeout expired: " + idle + "/" + timeout + " ms");
            if (connection == null || connection.onIdleExpired(x))
            {
                onDisconnect(x);
                return;
            }
            _lastActivity = System.nanoTime();
        }
        scheduleIdleCheck(scheduler);
    }

    @Override
    public String toString()
    {
        return "OpaqueStream@" + Long.toHexString(_requestId);
    }
}
