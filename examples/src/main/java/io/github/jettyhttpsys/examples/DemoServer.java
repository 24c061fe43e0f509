package io.github.jettyhttpsys.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.jettyhttpsys.HttpSysConnector;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded demo: Jetty on {@link HttpSysConnector} serving a page whose every tab holds a live
 * stream (server-sent events, an async servlet). When a tab closes, HTTP.sys reports the broken
 * connection, {@code AsyncListener.onError} fires for that tab's stream, and every other tab shows it.
 * Run with {@code -Dport=8080} (default) or the port as the first argument; https on
 * {@code -Dhttps.port=8443} (default, -1 for none) or the second argument.
 */
public class DemoServer
{
    private static final Logger LOG = LoggerFactory.getLogger(DemoServer.class);

    private final Map<Integer, AsyncContext> _streams = new ConcurrentHashMap<>();
    private final AtomicInteger _ids = new AtomicInteger();
    private final Server _server = new Server();

    private final int _httpsPort;

    public DemoServer(int port)
    {
        this(port, -1);
    }

    /**
     * @param port the http port
     * @param httpsPort the https port (a self-signed certificate is made and bound at start), or -1
     */
    public DemoServer(int port, int httpsPort)
    {
        _httpsPort = httpsPort;
        HttpSysConnector connector = httpsPort > 0
            ? new HttpSysConnector(_server, "http://localhost:" + port + "/", "https://localhost:" + httpsPort + "/")
            : new HttpSysConnector(_server, "http://localhost:" + port + "/");
        // Windows authentication by HTTP.sys: /whoami asks for a Windows user, every other page is open.
        connector.setAuthenticationSchemes("Negotiate", "NTLM", "Basic");
        _server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(new PageServlet()), "/");
        context.addServlet(new ServletHolder(new EventsServlet()), "/events");
        context.addServlet(new ServletHolder(new WhoAmIServlet()), "/whoami");
        org.eclipse.jetty.ee10.servlet.security.ConstraintSecurityHandler security = new org.eclipse.jetty.ee10.servlet.security.ConstraintSecurityHandler();
        security.setAuthenticator(new io.github.jettyhttpsys.HttpSysAuthenticator());
        org.eclipse.jetty.ee10.servlet.security.ConstraintMapping whoami = new org.eclipse.jetty.ee10.servlet.security.ConstraintMapping();
        whoami.setPathSpec("/whoami");
        whoami.setConstraint(org.eclipse.jetty.security.Constraint.ANY_USER);
        security.addConstraintMapping(whoami);
        context.setSecurityHandler(security);
        // /chat: a jakarta.websocket endpoint, a WebSocket through HTTP.sys's opaque mode
        org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer.configure(context,
            (servletContext, container) -> container.addEndpoint(ChatEndpoint.class));
        _server.setHandler(context);
    }

    /** On the emulator there is no Windows account: one demo account stands in (Basic in the browser). */
    static final String DEMO_USER = "DEMO\\guest";
    static final String DEMO_PASSWORD = "guest";

    public void start() throws Exception
    {
        if (io.github.jettyhttpsys.emulator.HttpEmu.isAvailable())
        {
            io.github.jettyhttpsys.emulator.HttpEmu.addAccount(DEMO_USER, DEMO_PASSWORD, "DEMO\\Demo Users");
            LOG.info("/whoami: sign in as {} with password {} (an account of the emulator)", DEMO_USER, DEMO_PASSWORD);
        }
        boolean https = _httpsPort > 0 && DemoCertificate.bind(_httpsPort);
        if (_httpsPort > 0 && !https)
            LOG.info("No certificate for https://localhost:{}/: give the thumbprint of one in LocalMachine\\My with -Dhttps.thumbprint=...", _httpsPort);
        _server.start();
        LOG.info("Demo on http://localhost:{}/{} served by {}", port(), https ? " and https://localhost:" + _httpsPort + "/ (self-signed certificate)" : "",
            HttpSysConnector.nativeImplementation());
    }

    public int port()
    {
        return ((HttpSysConnector)_server.getConnectors()[0]).getLocalPort();
    }

    public void stop() throws Exception
    {
        _server.stop();
        if (_httpsPort > 0)
            DemoCertificate.unbind(_httpsPort);
    }

    public int openStreams()
    {
        return _streams.size();
    }

    /** Sends one event to every open stream. */
    void broadcast(String type, String text)
    {
        String line = LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " " + text;
        for (Map.Entry<Integer, AsyncContext> e : _streams.entrySet())
        {
            try
            {
                PrintWriter w = e.getValue().getResponse().getWriter();
                w.write("event: " + type + "\ndata: " + line.replace('\n', ' ') + "\n\n");
                w.flush();
            }
            catch (IOException | IllegalStateException x)
            {
                LOG.debug("stream {} gone while broadcasting", e.getKey(), x);
            }
        }
    }

    /** Who HTTP.sys says the browser's user is: the Windows account, its SID and groups. */
    private static class WhoAmIServlet extends HttpServlet
    {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
        {
            io.github.jettyhttpsys.WindowsIdentity w = (io.github.jettyhttpsys.WindowsIdentity)req.getAttribute(io.github.jettyhttpsys.WindowsIdentity.ATTRIBUTE);
            resp.setContentType("text/plain;charset=utf-8");
            PrintWriter out = resp.getWriter();
            out.println("user:   " + req.getUserPrincipal().getName());
            out.println("scheme: " + req.getAuthType());
            if (w != null)
            {
                out.println("SID:    " + w.getSid());
                out.println("groups: " + String.join(", ", w.getGroups()));
            }
        }
    }

    private class PageServlet extends HttpServlet
    {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
        {
            broadcast("request", "GET " + req.getRequestURI() + " from " + req.getRemoteAddr() + ":" + req.getRemotePort());
            resp.setContentType("text/html;charset=utf-8");
            try (InputStream in = DemoServer.class.getResourceAsStream("/demo.html"))
            {
                String page = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("${implementation}", HttpSysConnector.nativeImplementation());
                resp.getWriter().write(page);
            }
        }
    }

    private class EventsServlet extends HttpServlet
    {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
        {
            int id = _ids.incrementAndGet();
            resp.setContentType("text/event-stream");
            resp.setCharacterEncoding("UTF-8");
            resp.setHeader("Cache-Control", "no-cache");
            AsyncContext async = req.startAsync();
            async.setTimeout(0);
            async.addListener(new AsyncListener()
            {
                @Override
                public void onComplete(AsyncEvent event)
                {
                    _streams.remove(id);
                }

                @Override
                public void onTimeout(AsyncEvent event)
                {
                }

                @Override
                public void onError(AsyncEvent event)
                {
                    // HTTP.sys told us the tab's connection is gone: tell the others.
                    _streams.remove(id);
                    Throwable x = event.getThrowable();
                    broadcast("disconnect", "tab #" + id + " disconnected: AsyncListener.onError(" + x.getClass().getSimpleName() + ": " + x.getMessage() + ")");
                    async.complete();
                }

                @Override
                public void onStartAsync(AsyncEvent event)
                {
                }
            });
            PrintWriter w = resp.getWriter();
            w.write("event: hello\ndata: you are tab #" + id + "\n\n");
            w.flush();
            _streams.put(id, async);
            broadcast("request", "tab #" + id + " opened its live stream (" + _streams.size() + " open)");
        }
    }

    public static void main(String[] args) throws Exception
    {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : Integer.getInteger("port", 8080);
        int httpsPort = args.length > 1 ? Integer.parseInt(args[1]) : Integer.getInteger("https.port", 8443);
        DemoServer demo = new DemoServer(port, httpsPort);
        demo.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            try
            {
                demo.stop();
            }
            catch (Exception x)
            {
                LOG.warn("stop failed", x);
            }
        }));
        demo._server.join();
    }
}
