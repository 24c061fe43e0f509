package io.github.jettyhttpsys;

import java.net.SocketAddress;
import java.util.Set;

import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpChannel;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.util.HostPort;

/**
 * A channel and the connection's metadata as its current request sees it: that request's connection,
 * HTTP version and persistence. Channel and metadata are recycled together from one request to the next
 * (the channel keeps the servlet layer's per-channel objects): on HTTP/1.x within one connection, on HTTP/2
 * and HTTP/3 from one stream to another, which HTTP.sys gives connection ids of their own (F-77), so all
 * three are set anew for each request. Everything else is the connection's.
 */
final class StreamMetaData implements ConnectionMetaData
{
    HttpChannel channel;                  // set once, right after construction
    private volatile HttpSysConnection _connection;
    private volatile HttpVersion _version;
    private volatile boolean _persistent;

    StreamMetaData(HttpSysConnection connection)
    {
        _connection = connection;
    }

    void set(HttpSysConnection connection, HttpVersion version, boolean persistent)
    {
        _connection = connection;
        _version = version;
        _persistent = persistent;
    }

    @Override
    public HttpVersion getHttpVersion()
    {
        return _version;
    }

    @Override
    public String getProtocol()
    {
        return _version.asString();
    }

    @Override
    public boolean isPersistent()
    {
        return _persistent;
    }

    @Override
    public String getId()
    {
        return _connection.getId();
    }

    @Override
    public HttpConfiguration getHttpConfiguration()
    {
        return _connection.getHttpConfiguration();
    }

    @Override
    public Connection getConnection()
    {
        return _connection.getConnection();
    }

    @Override
    public Connector getConnector()
    {
        return _connection.getConnector();
    }

    @Override
    public boolean isSecure()
    {
        return _connection.isSecure();
    }

    @Override
    public boolean isPushSupported()
    {
        return _connection.isPushSupported();
    }

    @Override
    public SocketAddress getRemoteSocketAddress()
    {
        return _connection.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress()
    {
        return _connection.getLocalSocketAddress();
    }

    @Override
    public HostPort getServerAuthority()
    {
        return _connection.getServerAuthority();
    }

    @Override
    public Object removeAttribute(String name)
    {
        return _connection.removeAttribute(name);
    }

    @Override
    public Object setAttribute(String name, Object attribute)
    {
        return _connection.setAttribute(name, attribute);
    }

    @Override
    public Object getAttribute(String name)
    {
        return _connection.getAttribute(name);
    }

    @Override
    public Set<String> getAttributeNameSet()
    {
        return _connection.getAttributeNameSet();
    }

    @Override
    public void clearAttributes()
    {
        _connection.clearAttributes();
    }

    @Override
    public String toString()
    {
        return "StreamMetaData@" + Integer.toHexString(hashCode()) + "{" + _version + "," + _connection + "}";
    }
}
