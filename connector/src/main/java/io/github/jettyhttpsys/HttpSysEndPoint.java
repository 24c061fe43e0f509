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
 * or written through it. It exists for the code that asks a connection for its endpoint
 * (addresses, idle timeout, secure customizers, connector bookkeeping).
 */
class HttpSysEndPoint implements EndPoint
{
    private final HttpSysConnection _connection;
    private final long _created = System.currentTimeMillis();
    private volatile long _idleTimeout;
    private volatile boolean _open = true;

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

    @Override
    public void shutdownOutput()
    {
    }

    @Override
    public boolean isOutputShutdown()
    {
        return !_open;
    }

    @Override
    public boolean isInputShutdown()
    {
        return !_open;
    }

    @Override
    public void close(Throwable cause)
    {
        _open = false;
    }

    @Override
    public int fill(ByteBuffer buffer)
    {
        throw new UnsupportedOperationException("HTTP.sys owns the socket");
    }

    @Override
    public boolean flush(ByteBuffer... buffer)
    {
        throw new UnsupportedOperationException("HTTP.sys owns the socket");
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
        throw new UnsupportedOperationException("HTTP.sys owns the socket");
    }

    @Override
    public boolean tryFillInterested(Callback callback)
    {
        return false;
    }

    @Override
    public boolean isFillInterested()
    {
        return false;
    }

    @Override
    public void write(Callback callback, ByteBuffer... buffers) throws WritePendingException
    {
        callback.failed(new UnsupportedOperationException("HTTP.sys owns the socket"));
    }

    @Override
    public Callback cancelWrite(Throwable cause)
    {
        return null;
    }

    @Override
    public Connection getConnection()
    {
        return _connection;
    }

    @Override
    public void setConnection(Connection connection)
    {
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

    @Override
    public void upgrade(Connection newConnection)
    {
        throw new UnsupportedOperationException("Upgrade over HTTP.sys is not supported");
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
