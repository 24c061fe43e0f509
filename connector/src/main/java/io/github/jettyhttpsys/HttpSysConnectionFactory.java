package io.github.jettyhttpsys;

import java.util.List;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;

/**
 * The connection factory of {@link HttpSysConnector}: carries the {@link HttpConfiguration}
 * requests are served with. HTTP.sys writes the Date and Server headers itself (F-54, F-55), so
 * Jetty's are turned off on this factory's copy of the configuration; the copy shares the original's
 * customizers, so one added later (jetty-home's {@code forwarded} module adds its customizer after
 * the connectors are built) applies here as it does on Jetty's own connectors.
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
        _httpConfiguration = new SharedCustomizers(configuration);
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

    /** A copy of a configuration whose customizer list is the original's. */
    private static final class SharedCustomizers extends HttpConfiguration
    {
        private final HttpConfiguration _original;

        SharedCustomizers(HttpConfiguration original)
        {
            super(original);
            _original = original;
        }

        @Override
        public void addCustomizer(Customizer customizer)
        {
            _original.addCustomizer(customizer);
        }

        @Override
        public boolean removeCustomizer(Customizer customizer)
        {
            return _original.removeCustomizer(customizer);
        }

        @Override
        public void setCustomizers(List<Customizer> customizers)
        {
            _original.setCustomizers(customizers);
        }

        @Override
        public List<Customizer> getCustomizers()
        {
            return _original.getCustomizers();
        }

        @Override
        public <T> T getCustomizer(Class<T> type)
        {
            return _original.getCustomizer(type);
        }
    }
}
