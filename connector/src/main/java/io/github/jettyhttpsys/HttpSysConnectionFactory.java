package io.github.jettyhttpsys;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;

/**
 * The connection factory of {@link HttpSysConnector}: carries the {@link HttpConfiguration}
 * requests are served with. HTTP.sys writes the Date and Server headers itself (F-54, F-55), so
 * Jetty's are turned off on this factory's copy of the configuration.
 */
public class HttpSysConnectionFactory extends AbstractConnectionFactory
{
    private final HttpConfiguration _httpConfiguration;

    public HttpSysConnectionFactory()
    {
        this(new HttpConfiguration());
    }

    public HttpSysConnectionFactory(HttpConfiguration configuration)
    {
        super("http/1.1");
        _httpConfiguration = new HttpConfiguration(configuration);
        _httpConfiguration.setSendDateHeader(false);
        _httpConfiguration.setSendServerVersion(false);
        addBean(_httpConfiguration);
    }

    public HttpConfiguration getHttpConfiguration()
    {
        return _httpConfiguration;
    }

    /**
     * Not used: HTTP.sys owns the sockets; {@link HttpSysConnector} creates its connections from request
     * queue completions.
     */
    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint)
    {
        throw new UnsupportedOperationException("HTTP.sys connections are created by HttpSysConnector");
    }
}
