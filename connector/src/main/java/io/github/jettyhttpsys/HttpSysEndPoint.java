package io.github.jettyhttpsys;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ReadPendingException;
import java.nio.channels.WritePendingException;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;

/**
 * The virtual endpoint of an {@link HttpSysConnection}: HTTP.sys owns the socket, so nothing is read
 * or written through it while it serves HTTP. It exists for the code that asks a connection for its
 * endpoint (addresses, idle timeout, secure customizers, connector bookkeeping). After an upgrade (a 101
 * sent in opaque mode, F-144) it reads and writes the request's byte stream ({@link OpaqueStream}) for the
 * connection Jetty upgraded to.
 */
class HttpSysEndPoint implements EndPoint
{
    private final HttpSysConnection _connection;
    private final long _created = System.currentTimeMillis();
    private volatile long _idleTimeout;
    private volatile boolean _open = true;
    private volatile OpaqueStream _opaque;          // after a 101: the request's byte stream (F-148)
    private volatile Connection _upgraded;          // the connection Jetty upgraded to (WebSocket, WebConnection)
    private volatile boolean _outputShut;

    HttpSysEndPoint(HttpSysConnection connection, long idleTimeout)
    {
        _connection = connection;
        _idleTimeout = idleTimeout;
    }

    /**
     * @return the TLS data HTTP.sys reported for this connection (F-120, F-128), for Jetty's
     * {@code SecureRequestCustomizer}; null on plain HTTP
     */
    @Override
    public SslSessionData getSslSessionData()
    {
        return _connection.tls();
    }

    @Override
    public SocketAddress getLocalSocketAddress()
    {
        return _connection.getLocalSocketAddress();
    }

    @Override
    public SocketAddress getRemoteSocketAddress()
    {
        return _connection.getRemoteSocketAddress();
    }

    @Override
    public boolean isOpen()
    {
        return _open;
    }

    @Override
    public long getCreatedTimeStamp()
    {
        return _created;
    }

    /** The 101 went out in opaque mode: from now on this endpoint carries the stream. */
    void opaque(OpaqueStream stream)
    {
        _opaque = stream;
    }

    OpaqueStream opaque()
    {
        return _opaque;
    }

    Connection getUpgradedConnection()
    {
        return _upgraded;
    }

    /** The opaque stream ended: the upgraded connection closes, then the HTTP.sys connection retires. */
    void opaqueClosed(Throwable cause)
    {
        _open = false;
        Connection upgraded = _upgraded;
        if (upgraded != null)
            _connection.getHttpSysConnector().execute(() -> upgraded.onClose(cause));
        _connection.opaqueEnded(cause);
    }

    /**
     * HTTP.sys has no half-close of an opaque stream: its DISCONNECT ends reading too (F-150). So output is
     * only marked shut here (a WebSocket close handshake still reads the peer's close frame), and the FIN
     * goes with {@link #close(Throwable)}.
     */
    @Override
    public void shutdownOutput()
    {
        _outputShut = true;
    }

    @Override
    public boolean isOutputShutdown()
    {
        return !_open || _outputShut;
    }

    @Override
    public boolean isInputShutdown()
    {
        return !_open;
    }

    @Override
    public void close(Throwable cause)
    {
        OpaqueStream o = _opaque;
        if (o != null && _open)
            o.close(cause);
        _open = false;
    }

    @Override
    public int fill(ByteBuffer buffer)
    {
        OpaqueStream o = _opaque;
        if (o == null)
            throw new UnsupportedOperationException("HTTP.sys owns the socket");
        return o.fill(buffer);
    }

    @Override
    public boolean flush(ByteBuffer... buffer)
    {
        OpaqueStream o = _opaque;
        if (o == null)
            throw new UnsupportedOperationException("HTTP.sys owns the socket");
        if (o.isWriting())
            return false;
        o.write(Callback.NOOP, buffer); // a failure fails the next write or read
        for (ByteBuffer b : buffer)
            if (b != null)
                b.position(b.limit()); // copied into the send: consumed, as a socket write consumes it
        return true;
    }

    @Override
    public Object getTransport()
    {
        return null;
    }

    @Override
    public long getIdleTimeout()
    {
        return _idleTimeout;
    }

    @Override
    public void setIdleTimeout(long idleTimeout)
    {
        _idleTimeout = idleTimeout;
    }

    @Override
    public void fillInterested(Callback callback) throws ReadPendingException
    {
        OpaqueStream o = _opaque;
        if (o == null)
            throw new UnsupportedOperationException("HTTP.sys owns the socket");
        o.fillInterested(callback);
    }

    @Override
    public boolean tryFillInterested(Callback callback)
    {
        OpaqueStream o = _opaque;
        if (o == null || o.isFillInterested())
            return false;
        o.fillInterested(callback);
        return true;
    }

    @Override
    public boolean isFillInterested()
    {
        OpaqueStream o = _opaque;
        return o != null && o.isFillInterested();
    }

    @Override
    public void write(Callback callback, ByteBuffer... buffers) throws WritePendingException
    {
        OpaqueStream o = _opaque;
        if (o == null)
        {
            callback.failed(new UnsupportedOperationException("HTTP.sys owns the socket"));
            return;
        }
        o.write(callback, buffers);
        for (ByteBuffer b : buffers)
            if (b != null)
                b.position(b.limit());
    }

    @Override
    public Callback cancelWrite(Throwable cause)
    {
        return null;
    }

    @Override
    public Connection getConnection()
    {
        Connection upgraded = _upgraded;
        return upgraded != null ? upgraded : _connection;
    }

    @Override
    public void setConnection(Connection connection)
    {
        if (connection != _connection)
            _upgraded = connection;
    }

    @Override
    public void onOpen()
    {
    }

    @Override
    public void onClose(Throwable cause)
    {
        _open = false;
    }

    /** After the 101 in opaque mode: the new connection takes the stream (Jetty's WebSocket, a servlet WebConnection). */
    @Override
    public void upgrade(Connection newConnection)
    {
        if (_opaque == null)
            throw new UnsupportedOperationException("Upgrade without a 101 in opaque mode");
        _upgraded = newConnection;
        newConnection.onOpen();
        _opaque.scheduleIdleCheck(_connection.getHttpSysConnector().getScheduler());
    }

    @Override
    public boolean isSecure()
    {
        return _connection.isSecure();
    }

    @Override
    public String toString()
    {
        return "HttpSysEndPoint@" + Integer.toHexString(hashCode()) + "{" + getRemoteSocketAddress() + "<->" + getLocalSocketAddress() + "}";
    }
}
