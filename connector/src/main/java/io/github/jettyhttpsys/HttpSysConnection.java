package io.github.jettyhttpsys;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.EventListener;
import java.util.List;
import java.util.concurrent.TimeoutException;

import io.github.jettyhttpsys.engine.SimpleOp;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.util.Attributes;
import org.eclipse.jetty.util.thread.AutoLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP.sys connection (one {@code HTTP_CONNECTION_ID}) for as long as HTTP.sys keeps it: its
 * addresses, attributes, request count, its requests in progress and its single disconnect wait
 * (F-71), armed when the first request arrives. The wait's completion is how the connector learns
 * that the connection closed, busy or idle (F-72), and it ends this object with Jetty's connection
 * lifecycle: {@link #onOpen()} at the first request, {@link #onClose(Throwable)} when HTTP.sys
 * closed the connection, with the connector's {@link Connection.Listener}s told of both.
 */
class HttpSysConnection extends Attributes.Lazy implements Connection, Connection.Tunnel, ConnectionMetaData
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpSysConnection.class);

    private final AutoLock _lock = new AutoLock();
    private final HttpSysConnector _connector;
    private final long _connectionId;
    private volatile String _id;                                // made when first asked for (on HTTP/2: per stream, F-77)
    private final InetSocketAddress _local;
    private final InetSocketAddress _remote;
    private final boolean _secure;
    private final HttpSysEndPoint _endPoint;
    private final long _created = System.currentTimeMillis();
    // guarded by _lock; a list, not a set: it holds one stream at a time but for a moment (HTTP/2 gives each
    // stream its connection id, F-77), and adding to a list allocates nothing per request
    private final List<HttpSysStream> _streams = new ArrayList<>(2);
    private SimpleOp _disconnectWait;                           // guarded by _lock; owned until it completes
    private boolean _disconnected;                              // guarded by _lock
    private boolean _removed;                                   // guarded by _lock
    private boolean _waitFailed;                                // guarded by _lock: no wait could be armed
    private boolean _closed;                                    // guarded by _lock: onClose ran
    private final java.util.concurrent.atomic.AtomicLong _requests = new java.util.concurrent.atomic.AtomicLong();
    private final List<Connection.Listener> _listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile TlsSessionData _tls;                       // null on plain HTTP
    private final java.util.concurrent.atomic.AtomicBoolean _certificateAsked = new java.util.concurrent.atomic.AtomicBoolean();

    private final HttpVersion _version;
    // HTTP/2 or HTTP/3: this connection id names one stream (F-77), so it ends with that stream's request
    private final boolean _oneStream;
    // guarded by _lock: the channel of the last request that completed cleanly, for the next request
    // (HTTP/1.x runs one request at a time; each HTTP/2 stream is a connection of its own, F-77)
    private StreamMetaData _spare;
    private HttpSysStream _spareStream;                         // guarded by _lock: kept only beside a spare channel

    /**
     * @param version the protocol of its first request; on HTTP/2 and HTTP/3 HTTP.sys gives every stream a
     *                connection id of its own (F-77), so such a connection is one stream
     */
    HttpSysConnection(HttpSysConnector connector, long connectionId, InetSocketAddress local, InetSocketAddress remote, boolean secure,
                      HttpVersion version)
    {
        _version = version;
        _oneStream = ResponseFraming.multiplexed(version);
        _connector = connector;
        _connectionId = connectionId;
        _local = local;
        _remote = remote;
        _secure = secure;
        _endPoint = new HttpSysEndPoint(this, connector.getIdleTimeout());
    }

    long getConnectionId()
    {
        return _connectionId;
    }

    /**
     * Adds a stream unless this instance was already retired.
     *
     * @return false when the connector must make a new connection object
     */
    boolean addStream(HttpSysStream stream)
    {
        try (AutoLock ignored = _lock.lock())
        {
            if (_removed)
                return false;
            _streams.add(stream);
            _requests.incrementAndGet();
            return true;
        }
    }

    /**
     * @return the recycled channel (with its metadata) of an earlier request of this connection, taken, or null
     */
    StreamMetaData takeChannel()
    {
        try (AutoLock ignored = _lock.lock())
        {
            StreamMetaData spare = _spare;
            _spare = null;
            _spareStream = null; // given with takeStream() before, or not kept
            if (spare != null)
                _connector.spareChannels(-1);
            return spare;
        }
    }

    /**
     * Keeps a recycled channel for the next request, unless this connection ended or keeps one already.
     */
    void offerChannel(StreamMetaData recycled)
    {
        try (AutoLock ignored = _lock.lock())
        {
            // Bounded across the connector: thousands of idle connections do not each keep a channel.
            if (!_removed && !_disconnected && _spare == null && _connector.spareChannels(1))
                _spare = recycled;
        }
    }

    /**
     * @return the stream an earlier request of this connection gave back (see {@link HttpSysStream#start}), taken,
     * or null; taken before {@link #takeChannel()}, which it is kept beside
     */
    HttpSysStream takeStream()
    {
        try (AutoLock ignored = _lock.lock())
        {
            HttpSysStream stream = _spareStream;
            _spareStream = null;
            return stream;
        }
    }

    /**
     * Keeps a stream that is done with its request for the next request, beside the spare channel (so the
     * channels' bound bounds these too), unless this connection ended, was disconnected (a disconnect's list of
     * streams to tell may still hold it) or its channel was taken meanwhile.
     */
    void offerStream(HttpSysStream stream)
    {
        try (AutoLock ignored = _lock.lock())
        {
            if (!_removed && !_disconnected && _spare != null && _spareStream == null)
                _spareStream = stream;
        }
    }

    /**
     * A stream finished. An HTTP/1.x connection stays while HTTP.sys keeps it; it is retired only when it is
     * gone (or has no wait that would tell) and has nothing in progress. The connection of an HTTP/2 or
     * HTTP/3 stream ends with its one request: HTTP.sys gives the next stream a connection id of its own
     * (F-77), and whether the wait of an ended stream ever completes is for Windows to say (open questions 23, 49).
     */
    void removeStream(HttpSysStream stream)
    {
        boolean retire;
        try (AutoLock ignored = _lock.lock())
        {
            _streams.remove(stream);
            retire = _streams.isEmpty() && (_disconnected || _waitFailed || _oneStream) && !_removed && _endPoint.getUpgradedConnection() == null;
            if (retire)
                _removed = true;
        }
        if (retire)
            _connector.retire(this, null);
    }

    /** The upgraded stream of this connection ended: nothing more happens on it. */
    void opaqueEnded(Throwable cause)
    {
        boolean retire;
        try (AutoLock ignored = _lock.lock())
        {
            retire = _streams.isEmpty() && !_removed;
            if (retire)
                _removed = true;
        }
        if (retire)
            _connector.retire(this, cause);
    }

    /**
     * Arms the one disconnect wait of this connection (F-71): at its first request; on HTTP/2 and HTTP/3, whose
     * connection is one stream, only once that stream's request outlives its first dispatch (see
     * {@link #armsWaitLate()}). Once armed or retired, a call does nothing.
     */
    void armDisconnectWait()
    {
        SimpleOp op;
        try (AutoLock ignored = _lock.lock())
        {
            if (_disconnectWait != null || _disconnected || _removed)
                return;
            op = new SimpleOp(0);
            _disconnectWait = op;
        }
        op.onCompletion((error, bytes) -> onDisconnect(op, error));
        if (LOG.isDebugEnabled())
            LOG.debug("arming disconnect wait {}", this);
        io.github.jettyhttpsys.engine.RequestQueue queue = _connector.getRequestQueue();
        if (queue == null)
            op.free(); // stopped meanwhile
        else
            queue.waitForDisconnect(_connectionId, op);
    }

    /**
     * @return whether the wait is armed only when the request outlives its first dispatch: on a connection that
     * is one HTTP/2 or HTTP/3 stream, unless a disconnect must reach Jetty during that dispatch
     * ({@link HttpSysConnector#setEagerDisconnectWait(boolean)}). A disconnect in that dispatch would only be
     * told at its end; the wait armed then completes at once (F-74), and the stream's reads and sends fail
     * with the stream meanwhile (F-184 on the emulator; for Windows, open question 52). A request answered
     * within its dispatch, the common case, never costs a wait, its call and its completion.
     */
    boolean armsWaitLate()
    {
        return _oneStream && !_connector.isEagerDisconnectWait();
    }

    /**
     * The wait completed: the client connection is gone, HTTP.sys closed it, or the queue closed.
     * Signal only: the requests still in progress fail and their own pending I/O is cancelled (§6, F-83).
     * A wait that could not be armed at all (a failure other than the connection being gone) leaves
     * the connection to end with its last request, so it is never leaked.
     */
    private void onDisconnect(SimpleOp op, int error)
    {
        List<HttpSysStream.Handle> streams;
        boolean retire;
        boolean gone = error == Layout.NO_ERROR || error == Layout.ERROR_OPERATION_ABORTED || error == Layout.ERROR_CONNECTION_INVALID ||
            error == Layout.ERROR_NETNAME_DELETED || error == Layout.ERROR_INVALID_PARAMETER || error == Layout.ERROR_INVALID_HANDLE;
        try (AutoLock ignored = _lock.lock())
        {
            _disconnectWait = null;
            if (gone)
                _disconnected = true;
            else
                _waitFailed = true;
            streams = gone ? handles() : List.of();
            retire = _streams.isEmpty() && !_removed && _endPoint.getUpgradedConnection() == null; // an upgraded one ends with its stream
            if (retire)
                _removed = true;
        }
        op.free();
        if (LOG.isDebugEnabled())
            LOG.debug("disconnect wait of {} completed ({}), {} requests in progress", this, Layout.describeError(error), streams.size());
        OpaqueStream opaque = _endPoint.opaque();
        if (opaque != null)
        {
            // An upgraded stream learns of a FIN or a reset from its own reads, as from a socket (F-150):
            // Jetty's WebSocket through the endpoint; a servlet's tunnel through the request's reads.
            if (gone && _endPoint.getUpgradedConnection() != null)
                opaque.onPeerSignal();
        }
        else
        {
            if (!streams.isEmpty())
                _connector.disconnectDetected(streams.size());
            for (HttpSysStream.Handle stream : streams)
                stream.onDisconnect(error);
        }
        if (retire)
            _connector.retire(this, null);
    }

    /** Jetty's connection lifecycle, once: told by the connector when it tracks this connection. */
    void opened()
    {
        for (Connection.Listener l : _connector.getBeans(Connection.Listener.class))
            addEventListener(l);
        onOpen();
    }

    /** Jetty's connection lifecycle, once: told by the connector when it stops tracking this connection. */
    void closed(Throwable cause)
    {
        try (AutoLock ignored = _lock.lock())
        {
            _spareStream = null;
            if (_spare != null)
            {
                _spare = null;
                _connector.spareChannels(-1);
            }
            if (_closed)
                return;
            _closed = true;
        }
        _endPoint.close(cause);
        onClose(cause);
    }

    /**
     * The Servlet API's upgrade (ee10/ee11 {@code HttpServletRequest.upgrade}): after the 101 went out in opaque
     * mode, the request's own input and output carry the upgraded bytes (F-148).
     */
    @Override
    public void startTunnel()
    {
        List<HttpSysStream> streams = streams();
        if (streams.size() != 1 || _endPoint.opaque() == null)
            throw new IllegalStateException("No request of " + this + " was upgraded with a 101 in opaque mode");
        streams.get(0).startTunnel();
    }

    List<HttpSysStream> streams()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return new ArrayList<>(_streams);
        }
    }

    /** @return handles on the requests in progress, for notifications that act on them later */
    List<HttpSysStream.Handle> requests()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return handles();
        }
    }

    /** Under the lock. */
    private List<HttpSysStream.Handle> handles()
    {
        List<HttpSysStream.Handle> handles = new ArrayList<>(_streams.size());
        for (int i = 0, n = _streams.size(); i < n; i++)
            handles.add(_streams.get(i).handle());
        return handles;
    }

    boolean isDisconnected()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return _disconnected;
        }
    }

    /** The TLS data HTTP.sys reported with a request of this connection (the same for all of them). */
    void tls(TlsSessionData tls)
    {
        _tls = tls;
    }

    TlsSessionData tls()
    {
        return _tls;
    }

    /** @return true the first time only: HTTP.sys is asked for a client certificate once per connection */
    boolean askCertificateOnce()
    {
        return _certificateAsked.compareAndSet(false, true);
    }

    HttpSysConnector getHttpSysConnector()
    {
        return _connector;
    }

    // ---- Connection ----

    @Override
    public void addEventListener(EventListener listener)
    {
        if (listener instanceof Connection.Listener l)
            _listeners.add(l);
    }

    @Override
    public void removeEventListener(EventListener listener)
    {
        _listeners.remove(listener);
    }

    @Override
    public void onOpen()
    {
        for (Connection.Listener l : _listeners)
        {
            try
            {
                l.onOpened(this);
            }
            catch (Throwable x)
            {
                LOG.info("Failure while notifying listener {}", l, x);
            }
        }
    }

    @Override
    public void onClose(Throwable cause)
    {
        for (Connection.Listener l : _listeners)
        {
            try
            {
                l.onClosed(this);
            }
            catch (Throwable x)
            {
                LOG.info("Failure while notifying listener {}", l, x);
            }
        }
    }

    @Override
    public HttpSysEndPoint getEndPoint()
    {
        return _endPoint;
    }

    @Override
    public void close()
    {
        for (HttpSysStream.Handle s : requests())
            s.abort(new TimeoutException("closed"));
    }

    @Override
    public boolean onIdleExpired(TimeoutException timeoutException)
    {
        return false;
    }

    @Override
    public long getMessagesIn()
    {
        return _requests.get();
    }

    @Override
    public long getMessagesOut()
    {
        return _requests.get();
    }

    @Override
    public long getBytesIn()
    {
        return -1;
    }

    @Override
    public long getBytesOut()
    {
        return -1;
    }

    @Override
    public long getCreatedTimeStamp()
    {
        return _created;
    }

    // ---- ConnectionMetaData ----

    @Override
    public String getId()
    {
        String id = _id;
        if (id == null)
            _id = id = _connector.getConnectionIdPrefix() + Long.toHexString(_connectionId); // the same text from any thread
        return id;
    }

    @Override
    public HttpConfiguration getHttpConfiguration()
    {
        return _connector.getHttpConfiguration();
    }

    @Override
    public HttpVersion getHttpVersion()
    {
        return _version;
    }

    @Override
    public String getProtocol()
    {
        return getHttpVersion().asString();
    }

    @Override
    public Connection getConnection()
    {
        return this;
    }

    @Override
    public Connector getConnector()
    {
        return _connector;
    }

    @Override
    public boolean isPersistent()
    {
        return true;
    }

    @Override
    public boolean isSecure()
    {
        return _secure;
    }

    @Override
    public SocketAddress getRemoteSocketAddress()
    {
        return _remote;
    }

    @Override
    public SocketAddress getLocalSocketAddress()
    {
        HttpConfiguration config = getHttpConfiguration();
        SocketAddress local = config == null ? null : config.getLocalAddress();
        return local != null ? local : _local;
    }

    @Override
    public String toString()
    {
        // Unlocked on purpose: toString() is called from debug logging, also under the lock.
        return "HttpSysConnection@" + Integer.toHexString(hashCode()) + "{id=" + Long.toHexString(_connectionId) +
            ",remote=" + _remote + ",requests=" + _requests.get() + ",wait=" + (_disconnectWait != null) +
            ",disconnected=" + _disconnected + "}";
    }
}
