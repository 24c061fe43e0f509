package io.github.jettyhttpsys.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.management.ThreadMXBean;
import io.github.jettyhttpsys.HttpSysConnector;
import io.github.jettyhttpsys.emulator.HttpEmu;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The benchmarked servlet app, behind either connector: {@code httpsys PORT} or {@code jetty PORT}, or
 * over TLS: {@code httpsys-tls PORT PEM} (bound in the emulator's kernel; HTTP.sys offers h2 and http/1.1
 * by ALPN) or {@code jetty-tls PORT P12}, or Jetty's own HTTP/2 over TLS: {@code jetty-h2 PORT P12}.
 * /hello, /cached (a cacheable "hello": public, max-age=60), /download (1 MiB), /upload,
 * /poll?id= (long poll; onError time recorded), /stats.
 */
public class BenchServer
{
    private static final byte[] MIB = new byte[1 << 20];
    private static final Map<String, Long> ERROR_MICROS = new ConcurrentHashMap<>();
    private static final AtomicLong PARKED = new AtomicLong();
    /** Requests that reached the application (a response replayed from HTTP.sys's cache does not). */
    private static final AtomicLong APP_REQUESTS = new AtomicLong();
    /** USER_HZ: the unit of utime and stime in /proc/.../stat (100 on Linux, {@code getconf CLK_TCK}). */
    private static final long NANOS_PER_TICK = 1_000_000_000L / 100;
    /** Every thread of the emulator (HTTP.sys's stand-in, loaded into this process) is named so. */
    private static final String EMULATOR_THREAD_PREFIX = "httpemu";

    public static void main(String[] args) throws Exception
    {
        Server server = new Server();
        int port = Integer.parseInt(args[1]);
        if ("httpsys".equals(args[0]))
            server.addConnector(configure(new HttpSysConnector(server, "http://+:" + port + "/")));
        else if ("httpsys-tls".equals(args[0]))
        {
            // TLS in the "kernel": the certificate imported into the emulator's store and bound to the port.
            byte[] thumbprint = io.github.jettyhttpsys.emulator.HttpEmu.addCertificate(java.nio.file.Path.of(args[2]));
            io.github.jettyhttpsys.SslCertificateBindings.add(new java.net.InetSocketAddress("0.0.0.0", port), thumbprint, "MY", null, false);
            server.addConnector(configure(new HttpSysConnector(server, "https://+:" + port + "/")));
        }
        else if ("jetty-tls".equals(args[0]) || "jetty-h2".equals(args[0]))
        {
            org.eclipse.jetty.util.ssl.SslContextFactory.Server tls = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
            tls.setKeyStorePath(args[2]);
            tls.setKeyStoreType("PKCS12");
            tls.setKeyStorePassword("bench");
            org.eclipse.jetty.server.HttpConfiguration config = new org.eclipse.jetty.server.HttpConfiguration();
            // The load goes to 127.0.0.1 and the certificate names localhost: without this Jetty answers every
            // request 400 (Invalid SNI), which HTTP.sys never does for a binding by address.
            org.eclipse.jetty.server.SecureRequestCustomizer secure = new org.eclipse.jetty.server.SecureRequestCustomizer();
            secure.setSniHostCheck(false);
            config.addCustomizer(secure);
            org.eclipse.jetty.server.HttpConnectionFactory http1 = new org.eclipse.jetty.server.HttpConnectionFactory(config);
            ServerConnector c;
            if ("jetty-h2".equals(args[0]))
            {
                // ALPN h2 then http/1.1, as HTTP.sys offers them
                org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory alpn = new org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory("h2", "http/1.1");
                alpn.setDefaultProtocol("http/1.1");
                c = new ServerConnector(server, new org.eclipse.jetty.server.SslConnectionFactory(tls, alpn.getProtocol()), alpn,
                    new org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory(config), http1);
            }
            else
            {
                c = new ServerConnector(server, tls, http1);
            }
            c.setPort(port);
            c.setAcceptQueueSize(8192);
            server.addConnector(c);
        }
        else
        {
            ServerConnector c = new ServerConnector(server);
            c.setPort(port);
            c.setAcceptQueueSize(8192);
            server.addConnector(c);
        }
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(new App()), "/*");
        server.setHandler(context);
        server.start();
        System.out.println("LISTENING " + port);
        server.join();
    }

    /** The connector's options a run compares: -Dbench.inline, -Dbench.completionThreads, -Dbench.responseCaching, -Dbench.queueLength. */
    static HttpSysConnector configure(HttpSysConnector c)
    {
        c.setPreferInlineScheduling(Boolean.parseBoolean(System.getProperty("bench.inline", "true"))); // the connector's default
        c.setCompletionThreads(Integer.getInteger("bench.completionThreads", 0));
        c.setResponseCaching(Boolean.parseBoolean(System.getProperty("bench.responseCaching", "true")));
        // 5000 long polls arrive faster than the application receives them: the queue holds them (F-94), as an application
        // that expects thousands of simultaneous requests would set it; HTTP.sys's default of 1000 resets the rest.
        c.setRequestQueueLength(Integer.getInteger("bench.queueLength", 10000));
        return c;
    }

    static long nowMicros()
    {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }

    /**
     * CPU time of this process and of the emulator's threads in it, from /proc (clock-tick resolution).
     * The process total is /proc/self/stat, which keeps the time of threads that have exited; the
     * emulator's part is the sum over /proc/self/task/N/stat of the threads whose name starts with
     * httpemu (they live as long as the library).
     *
     * @return {process ns, emulator ns}, or {-1, -1} without /proc
     */
    static long[] cpuNanos()
    {
        try
        {
            long process = statTicks(Files.readString(Path.of("/proc/self/stat")), null);
            long emu = 0;
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task")))
            {
                for (Path task : tasks)
                {
                    try
                    {
                        emu += statTicks(Files.readString(task.resolve("stat")), EMULATOR_THREAD_PREFIX);
                    }
                    catch (IOException gone)
                    {
                        // the thread exited between listing and reading
                    }
                }
            }
            return new long[]{process * NANOS_PER_TICK, emu * NANOS_PER_TICK};
        }
        catch (IOException | RuntimeException x)
        {
            return new long[]{-1, -1};
        }
    }

    /**
     * @param stat the text of a /proc stat file: {@code pid (comm) state ...}, comm may hold spaces and ')'
     * @param prefix count only if comm starts with it; null for any
     * @return utime + stime in clock ticks
     */
    private static long statTicks(String stat, String prefix)
    {
        int close = stat.lastIndexOf(')');
        if (prefix != null && !stat.substring(stat.indexOf('(') + 1, close).startsWith(prefix))
            return 0;
        // after ") ": field 3 (state) is [0], field 14 (utime) [11], field 15 (stime) [12]
        String[] f = stat.substring(close + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static class App extends HttpServlet
    {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException
        {
            APP_REQUESTS.incrementAndGet();
            super.service(req, resp);
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
        {
            switch (req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo()))
            {
                case "/download" ->
                {
                    resp.setContentLength(MIB.length);
                    resp.getOutputStream().write(MIB);
                }
                case "/cached" ->
                {
                    // Cacheable: HTTP.sys may keep this response and answer later requests itself.
                    resp.setContentType("text/plain");
                    resp.setContentLength(5);
                    resp.setHeader("Cache-Control", "public, max-age=60");
                    resp.getOutputStream().write("hello".getBytes());
                }
                case "/poll" -> poll(req, resp);
                case "/stats" -> stats(req, resp);
                default ->
                {
                    resp.setContentType("text/plain");
                    resp.setContentLength(5);
                    resp.getOutputStream().write("hello".getBytes());
                }
            }
        }

        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException
        {
            long total = 0;
            byte[] b = new byte[65536];
            try (InputStream in = req.getInputStream())
            {
                for (int n; (n = in.read(b)) >= 0; )
                    total += n;
            }
            byte[] out = Long.toString(total).getBytes();
            resp.setContentLength(out.length);
            resp.getOutputStream().write(out);
        }

        private void poll(HttpServletRequest req, HttpServletResponse resp) throws IOException
        {
            String id = req.getParameter("id");
            AsyncContext async = req.startAsync();
            async.setTimeout(0);
            async.addListener(new AsyncListener()
            {
                public void onComplete(AsyncEvent e)
                {
                }

                public void onTimeout(AsyncEvent e)
                {
                }

                public void onError(AsyncEvent e)
                {
                    ERROR_MICROS.put(id, nowMicros());
                    PARKED.decrementAndGet();
                    e.getAsyncContext().complete();
                }

                public void onStartAsync(AsyncEvent e)
                {
                }
            });
            PARKED.incrementAndGet();
            // Headers out now, so the client knows the poll is parked.
            resp.setContentType("text/plain");
            resp.getOutputStream().write('P');
            resp.flushBuffer();
        }

        private void stats(HttpServletRequest req, HttpServletResponse resp) throws IOException
        {
            StringBuilder sb = new StringBuilder();
            if (req.getParameter("gc") != null)
            {
                for (int i = 0; i < 3; i++)
                    System.gc();
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            sb.append("heap ").append(heap).append('\n');
            sb.append("rss ").append(rssBytes()).append('\n');
            sb.append("nativeheap ").append(nativeHeapBytes()).append('\n');
            sb.append("parked ").append(PARKED.get()).append('\n');
            sb.append("apprequests ").append(APP_REQUESTS.get()).append('\n');
            long[] cpu = cpuNanos();
            sb.append("cpuprocess ").append(cpu[0]).append('\n');
            sb.append("cpuemu ").append(cpu[1]).append('\n');
            if (req.getParameter("errors") != null)
            {
                for (Map.Entry<String, Long> e : ERROR_MICROS.entrySet())
                    sb.append("err ").append(e.getKey()).append(' ').append(e.getValue()).append('\n');
            }
            if (req.getParameter("reset") != null)
                ERROR_MICROS.clear();
            if (HttpEmu.isAvailable())
            {
                sb.append("apicalls ").append(HttpEmu.totalCalls() - HttpEmu.callCount("GetQueuedCompletionStatusEx")).append('\n');
                sb.append("bodyreads ").append(HttpEmu.callCount("HttpReceiveRequestEntityBody")).append('\n');
                HttpEmu.Counters counters = HttpEmu.counters();
                sb.append("emubuffered ").append(counters.bufferedBytes()).append('\n');
                sb.append("connections ").append(counters.connections()).append('\n');
            }
            ThreadMXBean t = (ThreadMXBean)ManagementFactory.getThreadMXBean();
            long alloc = 0;
            for (long id : t.getAllThreadIds())
                alloc += Math.max(0, t.getThreadAllocatedBytes(id));
            sb.append("allocated ").append(alloc).append('\n');
            resp.setContentType("text/plain");
            resp.getWriter().write(sb.toString());
        }

        /** glibc's mallinfo2: the process's malloc heap in use (the emulator's and JNA's native blocks, not Java's heap). */
        public static class MallInfo2 extends com.sun.jna.Structure implements com.sun.jna.Structure.ByValue
        {
            public long arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;

            @Override
            protected List<String> getFieldOrder()
            {
                return List.of("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost");
            }
        }

        public interface LibC extends com.sun.jna.Library
        {
            MallInfo2 mallinfo2();
        }

        private static long nativeHeapBytes()
        {
            try
            {
                MallInfo2 m = com.sun.jna.Native.load("c", LibC.class).mallinfo2();
                return m.uordblks + m.hblkhd;
            }
            catch (Throwable x)
            {
                return -1;
            }
        }

        private static long rssBytes()
        {
            try
            {
                for (String l : Files.readAllLines(Path.of("/proc/self/status")))
                {
                    if (l.startsWith("VmRSS:"))
                        return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            catch (IOException ignored)
            {
            }
            return -1;
        }
    }
}
