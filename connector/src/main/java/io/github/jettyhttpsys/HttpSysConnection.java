package io.github.jettyhttpsys;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.EventListener;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
 * One HTTP.sys connection (one {@code HTTP_CONNECTION_ID}): its addresses, its requests in progress
 * and its single disconnect wait (ARCHITECTURE §6). It lives while it has a request in progress or
 * an armed wait; a later request on the same connection id gets a new instance.
 */
class HttpSysConnection extends Attributes.Lazy implements Connection, ConnectionMetaData
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpSysConnection.class);

    private final AutoLock _lock = new AutoLock();
    private final HttpSysConnector _connector;
    private final long _connectionId;
    private final String _id;
    private final InetSocketAddress _local;
    private final InetSocketAddress _remote;
    private final boolean _secure;
    private final HttpSysEndPoint _endPoint;
    private final long _created = System.currentTimeMillis();
    private final Set<HttpSysStream> _streams = new HashSet<>(); // guarded by _lock
    private SimpleOp _disconnectWait;                           // guarded by _lock; owned until it completes
    private boolean _disconnected;                              // guarded by _lock
    private boolean _removed;                                   // guarded by _lock
    private long _requests;

    HttpSysConnection(HttpSysConnector connector, long connectionId, InetSocketAddress local, InetSocketAddress remote, boolean secure)
    {
        _connector = connector;
        _connectionId = connectionId;
        _id = connector.getConnectionIdPrefix() + Long.toHexString(connectionId);
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
            _requests++;
            return true;
        }
    }

    /**
     * A stream finished: the connection is retired when nothing keeps it (no stream, no wait).
     */
    void removeStream(HttpSysStream stream)
    {
        boolean retire;
        try (AutoLock ignored = _lock.lock())
        {
            _streams.remove(stream);
            retire = _streams.isEmpty() && _disconnectWait == null && !_removed;
            if (retire)
                _removed = true;
        }
        if (retire)
            _connector.retire(this);
    }

    /**
     * Arms the one disconnect wait of this connection (F-71), if not armed already. Called when a
     * request outlives its dispatch, or at every request with the eager option.
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
        int rc = _connector.getRequestQueue().waitForDisconnect(_connectionId, op);
        if (rc != Layout.NO_ERROR && rc != Layout.ERROR_IO_PENDING && LOG.isDebugEnabled())
            LOG.debug("HttpWaitForDisconnectEx {}: {}", this, Layout.describeError(rc));
    }

    /**
     * The wait completed: the client connection is gone (or the queue closed). Signal only: the
     * requests still in progress fail and their own pending I/O is cancelled (§6, F-83).
     */
    private void onDisconnect(SimpleOp op, int error)
    {
        List<HttpSysStream> streams;
        try (AutoLock ignored = _lock.lock())
        {
            _disconnected = true;
            _disconnectWait = null;
            _removed = true;
            streams = new ArrayList<>(_streams);
        }
        op.free();
        if (LOG.isDebugEnabled())
            LOG.debug("disconnected {} ({}), {} requests in progress", this, Layout.describeError(error), streams.size());
        _connector.retire(this);
        for (HttpSysStream stream : streams)
            stream.onDisconnect(error);
    }

    List<HttpSysStream> streams()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return new ArrayList<>(_streams);
        }
    }

    boolean isDisconnected()
    {
        try (AutoLock ignored = _lock.lock())
        {
            return _disconnected;
        }
    }

    HttpSysConnector getHttpSysConnector()
    {
        return _connector;
    }

    // ---- Connection ----

    @Override
    public void addEventListener(EventListener listener)
    {
    }

    @Override
    public void removeEventListener(EventListener listener)
    {
    }

    @Override
    public void onOpen()
    {
    }

    @Override
    public void onClose(Throwable cause)
    {
    }

    @Override
    public EndPoint getEndPoint()
    {
        return _endPoint;
    }

    @Override
    public void close()
    {
        List<HttpSysStream> streams;
        try (AutoLock ignored = _lock.lock())
        {
            streams = new ArrayList<>(_streams);
        }
        for (HttpSysStream s : streams)
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
        return _requests;
    }

    @Override
    public long getMessagesOut()
    {
        return _requests;
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
        return _id;
    }

    @Override
    public HttpConfiguration getHttpConfiguration()
    {
        return _connector.getHttpConfiguration();
    }

    @Override
    public HttpVersion getHttpVersion()
    {
        return HttpVersion.HTTP_1_1;
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
            ",remote=" + _remote + ",requests=" + _requests + ",wait=" + (_disconnectWait != null) +
            ",disconnected=" + _disconnected + "}";
    }
}
