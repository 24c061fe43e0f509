package io.github.jettyhttpsys;

import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.HttpChannel;

/**
 * A channel and the connection's metadata as its current request sees it: that request's HTTP version
 * and persistence. Channel and metadata are recycled together from one request of a connection to the
 * next (the channel keeps the servlet layer's per-channel objects), so both are set anew for each request.
 */
final class StreamMetaData extends ConnectionMetaData.Wrapper
{
    HttpChannel channel;                  // set once, right after construction
    private volatile HttpVersion _version;
    private volatile boolean _persistent;

    StreamMetaData(HttpSysConnection connection)
    {
        super(connection);
    }

    void set(HttpVersion version, boolean persistent)
    {
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
}
