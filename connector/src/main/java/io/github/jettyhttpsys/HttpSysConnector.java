package io.github.jettyhttpsys;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.github.jettyhttpsys.engine.RequestQueue;
import io.github.jettyhttpsys.engine.RequestQueueConfig;
import io.github.jettyhttpsys.engine.SendOp;
import io.github.jettyhttpsys.nativeapi.HttpRequestView;
import io.github.jettyhttpsys.nativeapi.Layout;
import io.github.jettyhttpsys.nativeapi.NativeLibraries;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.HttpChannel;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.StringUtil;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.eclipse.jetty.util.annotation.Name;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty connector whose transport is the Windows kernel HTTP stack, HTTP.sys: requests come
 * already parsed from an HTTP.sys request queue (the HTTP Server API, through JNA) and run through
 * the server's handlers. Client disconnects reported by HTTP.sys fail the requests in progress
 * (for servlets, {@code AsyncListener.onError}); requests Jetty aborts are cancelled in HTTP.sys.
 * <pre>{@code
 * Server server = new Server();
 * server.addConnector(new HttpSysConnector(server, "http://+:8080/"));
 * }</pre>
 * On other systems than Windows it runs on the jetty-httpsys emulator, when that is on the classpath.
 * Every setter must be called before the connector starts; every default equals HTTP.sys's.
 */
@ManagedObject("HTTP.sys connector")
public class HttpSysConnector extends AbstractNetworkConnector
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpSysConnector.class);

    /**
     * A request attribute (an {@link Integer}) an application may set before it aborts an HTTP/2 or HTTP/3
     * request: the RST_STREAM error code HTTP.sys resets the stream with (F-158). Without it an abort resets
     * with INTERNAL_ERROR after the response head and CANCEL before.
     */
    public static final String RESET_CODE_ATTRIBUTE = "io.github.jettyhttpsys.resetCode";

    private volatile boolean _goAwayRefused;
    private static final Map<Integer, String> SCHEME_NAMES = Map.of(Layout.HTTP_AUTH_ENABLE_NEGOTIATE, "Negotiate",
        Layout.HTTP_AUTH_ENABLE_KERBEROS, "Kerberos", Layout.HTTP_AUTH_ENABLE_NTLM, "NTLM", Layout.HTTP_AUTH_ENABLE_BASIC, "Basic");
    private boolean _allowAnonymous = true;
    private final java.util.concurrent.atomic.LongAdder _served = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder _disconnects = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder _cancelled = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder _tooLarge = new java.util.concurrent.atomic.LongAdder();
    private long _receiveErrorsBefore; // of queues closed before the current one

    private final RequestQueueConfig _config = new RequestQueueConfig();
    private final Map<Long, HttpSysConnection> _connections = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger _active = new java.util.concurrent.atomic.AtomicInteger(); // requests in progress
    private final String _connectionIdPrefix = StringUtil.randomAlphaNumeric(6) + "-";
    private final HttpChannel.Factory _channelFactory = new HttpChannel.DefaultFactory();
    private boolean _eagerDisconnectWait;
    private volatile boolean _responseCaching = true;
    /** Recycled channels kept by idle connections, at most {@link #MAX_SPARE_CHANNELS}: a busy connection reuses its own. */
    private final java.util.concurrent.atomic.AtomicInteger _spareChannels = new java.util.concurrent.atomic.AtomicInteger();
    private static final int MAX_SPARE_CHANNELS = 256;
    /** Streams of finished HTTP/2 and HTTP/3 requests with their channels, for the next ones (guarded by itself). */
    private final java.util.ArrayDeque<HttpSysStream> _spareMultiplexed = new java.util.ArrayDeque<>();
    private org.eclipse.jetty.util.thread.ThreadPoolBudget.Lease _completionLease; // the pool's threads the completion loops take
    private ClientCertificateMode _clientCertificateMode = ClientCertificateMode.NEGOTIATED;
    private long _maxRequestBodySize = -1;
    private volatile RequestQueue _queue;
    private volatile HttpConfiguration _httpConfiguration; // while started
    // The last field made for each known request header (RequestMetaData#from): immutable fields, read and
    // replaced without a lock; a lost race only makes one field again.
    private final org.eclipse.jetty.http.HttpField[] _fieldCache = new org.eclipse.jetty.http.HttpField[Layout.HttpHeaderRequestMaximum];
    private volatile boolean _shuttingDown;
    private volatile CompletableFuture<Void> _drained;
    private Scheduler.Task _idleCheck;

    /**
     * @param server the server
     * @param urlPrefixes HTTP.sys URL prefixes such as {@code http://+:8080/}
     */
    public HttpSysConnector(@Name("server") Server server, @Name("urlPrefixes") String... urlPrefixes)
    {
        this(server, new HttpConfiguration(), urlPrefixes);
    }

    /**
     * For jetty-home's XML: the prefixes come with {@link #setUrlPrefixList(String)}.
     *
     * @param server the server
     * @param configuration the HTTP configuration (customizers, idle timeout, ...)
     */
    public HttpSysConnector(@Name("server") Server server, @Name("configuration") HttpConfiguration configuration)
    {
        this(server, configuration, new String[0]);
    }

    /**
     * @param server the server
     * @param configuration the HTTP configuration (customizers, idle timeout, ...)
     * @param urlPrefixes HTTP.sys URL prefixes such as {@code http://+:8080/}
     */
    public HttpSysConnector(@Name("server") Server server, @Name("configuration") HttpConfiguration configuration, @Name("urlPrefixes") String... urlPrefixes)
    {
        super(server, null, null, null, 0, new HttpSysConnectionFactory(configuration));
        setUrlPrefixes(urlPrefixes);
    }

    /**
     * @return which HTTP Server API this process uses: HTTP.sys on Windows, the emulator elsewhere
     */
    public static String nativeImplementation()
    {
        return NativeLibraries.describe();
    }

    /**
     * @param urlPrefixes HTTP.sys URL prefixes, checked at once (F-102, F-103)
     */
    public void setUrlPrefixes(String... urlPrefixes)
    {
        List<String> list = new ArrayList<>();
        for (String p : urlPrefixes == null ? new String[0] : urlPrefixes)
        {
            for (String one : p.split(","))
            {
                String t = one.trim();
                if (t.isEmpty())
                    continue;
                RequestQueueConfig.validatePrefix(t);
                list.add(t);
            }
        }
        _config.urlPrefixes = list;
    }

    /**
     * @param commaSeparated URL prefixes separated by commas (the form of {@code jetty.httpsys.urlPrefixes})
     */
    public void setUrlPrefixList(String commaSeparated)
    {
        setUrlPrefixes(commaSeparated);
    }

    @ManagedAttribute("HTTP.sys URL prefixes, comma separated")
    public String getUrlPrefixList()
    {
        return String.join(",", _config.urlPrefixes);
    }

    public List<String> getUrlPrefixes()
    {
        return List.copyOf(_config.urlPrefixes);
    }

    /** @param name the request queue name; null (default) for an unnamed queue */
    public void setRequestQueueName(String name)
    {
        if (name != null && (name.isEmpty() || name.indexOf('\\') >= 0 || name.length() > 255))
            throw new IllegalArgumentException("a request queue name is 1-255 characters without '\\': " + name);
        _config.name = name;
    }

    @ManagedAttribute("HTTP.sys request queue name")
    public String getRequestQueueName()
    {
        return _config.name;
    }

    /**
     * @param sddl who may open the named queue (other processes serving it, or a controller), as a security
     *             descriptor string such as {@code D:(A;;GA;;;BA)(A;;GA;;;S-1-5-21-...)}; null (default) for
     *             HTTP.sys's default. Used only when this connector creates a named queue.
     */
    public void setRequestQueueSecurityDescriptor(String sddl)
    {
        if (sddl != null && !sddl.isEmpty() && !sddl.startsWith("D:") && !sddl.startsWith("O:") && !sddl.startsWith("G:"))
            throw new IllegalArgumentException("a security descriptor string (SDDL), such as D:(A;;GA;;;BA): " + sddl);
        _config.securityDescriptor = sddl == null || sddl.isEmpty() ? null : sddl;
    }

    @ManagedAttribute("SDDL of the named queue's security descriptor")
    public String getRequestQueueSecurityDescriptor()
    {
        return _config.securityDescriptor;
    }

    /**
     * @param mode create the queue (default), attach to an existing named one (a process that created and
     *             configured it serves its prefixes), or create it unless it exists already, then attach
     */
    public void setRequestQueueMode(RequestQueueMode mode)
    {
        if (mode == null)
            throw new IllegalArgumentException("request queue mode: CREATE, ATTACH or CREATE_OR_ATTACH");
        _config.attach = mode == RequestQueueMode.ATTACH;
        _config.createOrAttach = mode == RequestQueueMode.CREATE_OR_ATTACH;
    }

    @ManagedAttribute("CREATE, ATTACH or CREATE_OR_ATTACH")
    public RequestQueueMode getRequestQueueMode()
    {
        return _config.attach ? RequestQueueMode.ATTACH : _config.createOrAttach ? RequestQueueMode.CREATE_OR_ATTACH : RequestQueueMode.CREATE;
    }

    /** @return whether the queue in use was opened rather than created (ATTACH, or CREATE_OR_ATTACH finding it) */
    @ManagedAttribute("the queue was opened, not created")
    public boolean isAttached()
    {
        RequestQueue q = _queue;
        return q != null ? q.isAttached() : _config.attach;
    }

    /** @param length HttpServerQueueLengthProperty, 10-65535, default 1000 */
    public void setRequestQueueLength(int length)
    {
        if (length < 10 || length > 65535)
            throw new IllegalArgumentException("HTTP.sys queue length must be 10-65535: " + length);
        _config.queueLength = length;
    }

    @ManagedAttribute("requests HTTP.sys holds for the application before it answers 503 (F-94)")
    public int getRequestQueueLength()
    {
        return _config.queueLength;
    }

    /**
     * @param verbosity what a client gets when the queue is full or the application is not there (F-94):
     *                  BASIC (a reset, HTTP.sys's default), LIMITED (a 503) or FULL (a 503 with a reason)
     */
    public void set503Verbosity(Http503Verbosity verbosity)
    {
        if (verbosity == null)
            throw new IllegalArgumentException("503 verbosity: BASIC, LIMITED or FULL");
        _config.verbosity503 = verbosity.ordinal();
    }

    @ManagedAttribute("HttpServer503VerbosityProperty; null: HTTP.sys's default (BASIC)")
    public Http503Verbosity get503Verbosity()
    {
        return _config.verbosity503 < 0 ? null : Http503Verbosity.values()[_config.verbosity503];
    }

    /** @param n how many HttpReceiveHttpRequest calls are kept outstanding, 1-1024; 0 for the default (2 × cores, at least 2) */
    public void setReceiveConcurrency(int n)
    {
        if (n < 0 || n > 1024)
            throw new IllegalArgumentException("receive concurrency must be 1-1024, or 0 for the default: " + n);
        _config.receiveConcurrency = n == 0 ? RequestQueueConfig.defaultReceiveConcurrency() : n;
    }

    @ManagedAttribute("HttpReceiveHttpRequest calls kept outstanding")
    public int getReceiveConcurrency()
    {
        return _config.receiveConcurrency;
    }

    /** @param n threads that drain the completion port, 1-64; 0 for the default (half the cores, at least 2) */
    public void setCompletionThreads(int n)
    {
        if (n < 0 || n > 64)
            throw new IllegalArgumentException("completion threads must be 1-64, or 0 for the default: " + n);
        _config.completionThreads = n == 0 ? RequestQueueConfig.defaultCompletionThreads() : n;
    }

    @ManagedAttribute("threads that drain the completion port")
    public int getCompletionThreads()
    {
        return _config.completionThreads;
    }

    /** @param n the connection limit (HttpServerQosProperty), -1 (default) for none */
    public void setMaxConnections(int n)
    {
        if (n < -1 || n == 0)
            throw new IllegalArgumentException("maxConnections must be -1 (no limit) or at least 1: " + n);
        _config.maxConnections = n;
    }

    @ManagedAttribute("HTTP.sys connection limit, -1 for none")
    public int getMaxConnections()
    {
        return _config.maxConnections;
    }

    /** @param bytes the largest request body accepted (larger ones get 413), -1 (default) for no limit */
    public void setMaxRequestBodySize(long bytes)
    {
        if (bytes < -1)
            throw new IllegalArgumentException("maxRequestBodySize must be -1 (no limit) or at least 0 bytes: " + bytes);
        _maxRequestBodySize = bytes;
    }

    @ManagedAttribute("largest request body accepted, -1 for no limit")
    public long getMaxRequestBodySize()
    {
        return _maxRequestBodySize;
    }

    /** @param s HTTP_TIMEOUT_LIMIT_INFO.EntityBody; -1 (default) leaves the machine-wide value */
    public void setEntityBodyTimeoutSeconds(int s)
    {
        _config.entityBodyTimeoutSeconds = RequestQueueConfig.checkTimeout("entityBodyTimeoutSeconds", s);
    }

    @ManagedAttribute("HTTP.sys EntityBody timeout in seconds, -1: the machine-wide value")
    public int getEntityBodyTimeoutSeconds()
    {
        return _config.entityBodyTimeoutSeconds;
    }

    /** @param s HTTP_TIMEOUT_LIMIT_INFO.DrainEntityBody; -1 (default) leaves the machine-wide value */
    public void setDrainEntityBodyTimeoutSeconds(int s)
    {
        _config.drainEntityBodyTimeoutSeconds = RequestQueueConfig.checkTimeout("drainEntityBodyTimeoutSeconds", s);
    }

    @ManagedAttribute("HTTP.sys DrainEntityBody timeout in seconds, -1: the machine-wide value")
    public int getDrainEntityBodyTimeoutSeconds()
    {
        return _config.drainEntityBodyTimeoutSeconds;
    }

    /** @param s HTTP_TIMEOUT_LIMIT_INFO.RequestQueue; -1 (default) leaves the machine-wide value */
    public void setRequestQueueTimeoutSeconds(int s)
    {
        _config.requestQueueTimeoutSeconds = RequestQueueConfig.checkTimeout("requestQueueTimeoutSeconds", s);
    }

    @ManagedAttribute("HTTP.sys RequestQueue timeout in seconds, -1: the machine-wide value")
    public int getRequestQueueTimeoutSeconds()
    {
        return _config.requestQueueTimeoutSeconds;
    }

    /** @param s HTTP_TIMEOUT_LIMIT_INFO.IdleConnection; -1 (default) leaves the machine-wide value */
    public void setIdleConnectionTimeoutSeconds(int s)
    {
        _config.idleConnectionTimeoutSeconds = RequestQueueConfig.checkTimeout("idleConnectionTimeoutSeconds", s);
    }

    @ManagedAttribute("HTTP.sys IdleConnection timeout in seconds, -1: the machine-wide value")
    public int getIdleConnectionTimeoutSeconds()
    {
        return _config.idleConnectionTimeoutSeconds;
    }

    /** @param s HTTP_TIMEOUT_LIMIT_INFO.HeaderWait; -1 (default) leaves the machine-wide value */
    public void setHeaderWaitTimeoutSeconds(int s)
    {
        _config.headerWaitTimeoutSeconds = RequestQueueConfig.checkTimeout("headerWaitTimeoutSeconds", s);
    }

    @ManagedAttribute("HTTP.sys HeaderWait timeout in seconds, -1: the machine-wide value")
    public int getHeaderWaitTimeoutSeconds()
    {
        return _config.headerWaitTimeoutSeconds;
    }

    /** @param b HTTP_TIMEOUT_LIMIT_INFO.MinSendRate in bytes per second; -1 (default) leaves the machine-wide value */
    public void setMinSendRateBytesPerSecond(int b)
    {
        if (b < -1)
            throw new IllegalArgumentException("minSendRateBytesPerSecond must be -1 (not set) or at least 0: " + b);
        _config.minSendRateBytesPerSecond = b;
    }

    @ManagedAttribute("HTTP.sys MinSendRate in bytes per second, -1: the machine-wide value")
    public int getMinSendRateBytesPerSecond()
    {
        return _config.minSendRateBytesPerSecond;
    }

    // ---- Windows authentication (F-132…F-143) ----

    /**
     * Windows authentication in the kernel, as ASP.NET's {@code HttpSysOptions.Authentication.Schemes}:
     * HTTP.sys runs the handshake and hands each request the user's access token; the connector reads the
     * user and groups from it ({@link WindowsIdentity}, a request attribute) and closes it, and
     * {@link HttpSysAuthenticator} makes it Jetty's authenticated user.
     *
     * @param schemes any of {@code Negotiate}, {@code Kerberos}, {@code NTLM}, {@code Basic} (case-insensitive);
     *                none switches authentication off (the default)
     */
    public void setAuthenticationSchemes(String... schemes)
    {
        int bits = 0;
        for (String list : schemes == null ? new String[0] : schemes)
        {
            for (String one : list.split(","))
            {
                String t = one.trim();
                if (t.isEmpty())
                    continue;
                int bit = switch (t.toLowerCase(java.util.Locale.ROOT))
                {
                    case "negotiate" -> Layout.HTTP_AUTH_ENABLE_NEGOTIATE;
                    case "kerberos" -> Layout.HTTP_AUTH_ENABLE_KERBEROS;
                    case "ntlm" -> Layout.HTTP_AUTH_ENABLE_NTLM;
                    case "basic" -> Layout.HTTP_AUTH_ENABLE_BASIC;
                    default -> throw new IllegalArgumentException("authentication schemes are Negotiate, Kerberos, NTLM and Basic: " + t);
                };
                bits |= bit;
            }
        }
        _config.authSchemes = bits;
    }

    /** @return the enabled schemes with their HTTP names, strongest first as HTTP.sys orders challenges */
    @ManagedAttribute("Windows authentication schemes done by HTTP.sys")
    public List<String> getAuthenticationSchemes()
    {
        List<String> sorted = new ArrayList<>();
        for (int bit : new int[]{Layout.HTTP_AUTH_ENABLE_NEGOTIATE, Layout.HTTP_AUTH_ENABLE_KERBEROS, Layout.HTTP_AUTH_ENABLE_NTLM, Layout.HTTP_AUTH_ENABLE_BASIC})
            if ((_config.authSchemes & bit) != 0)
                sorted.add(SCHEME_NAMES.get(bit));
        return sorted;
    }

    /** For jetty-home's XML: schemes separated by commas ({@code jetty.httpsys.authenticationSchemes}). */
    public void setAuthenticationSchemeList(String commaSeparated)
    {
        setAuthenticationSchemes(commaSeparated == null ? new String[0] : new String[]{commaSeparated});
    }

    /**
     * @param allow with authentication on: let anonymous requests reach the application (the default, as
     *              ASP.NET's {@code AllowAnonymous}), which challenges where its constraints say; false: the
     *              connector answers every unauthenticated request with the 401 challenge itself
     */
    public void setAllowAnonymous(boolean allow)
    {
        _allowAnonymous = allow;
    }

    @ManagedAttribute("anonymous requests reach the application")
    public boolean isAllowAnonymous()
    {
        return _allowAnonymous;
    }

    /** @param cache keep an NTLM context for the later requests of a keep-alive connection (HTTP.sys's default: true, F-137) */
    public void setNtlmCredentialCaching(boolean cache)
    {
        _config.disableNtlmCredentialCaching = !cache;
    }

    @ManagedAttribute("NTLM credentials cached per connection")
    public boolean isNtlmCredentialCaching()
    {
        return !_config.disableNtlmCredentialCaching;
    }

    /** @param cache keep a Kerberos context for the later requests of a keep-alive connection (default false, F-137) */
    public void setKerberosCredentialCaching(boolean cache)
    {
        _config.kerberosCredentialCaching = cache;
    }

    @ManagedAttribute("Kerberos credentials cached per connection")
    public boolean isKerberosCredentialCaching()
    {
        return _config.kerberosCredentialCaching;
    }

    /** @param realm the realm HTTP.sys names in a Basic challenge; null for none */
    public void setBasicRealm(String realm)
    {
        _config.basicRealm = realm == null || realm.isEmpty() ? null : realm;
    }

    public String getBasicRealm()
    {
        return _config.basicRealm;
    }

    /**
     * Every connection has its disconnect wait from its first request (F-71). This setting decides
     * when Jetty hears of a disconnect seen while a request is still in its first dispatch: at once
     * ({@code true}: failure listeners run during long synchronous work), or when the dispatch returns
     * ({@code false}, default: a servlet that calls {@code startAsync()} after the client left still
     * gets {@code AsyncListener.onError}). Blocked reads and writes fail at once either way.
     *
     * @param eager deliver a disconnect to Jetty at once, also during the dispatch
     */
    /**
     * The kernel response cache (F-162…F-166), on by default as ASP.NET's {@code EnableResponseCaching}: a
     * response to a GET that says {@code Cache-Control: public} with {@code s-maxage}, {@code max-age} or an
     * {@code Expires} in the future, and has no {@code Set-Cookie}, {@code Vary} or {@code Pragma}, is offered
     * to HTTP.sys for that long when it is sent whole in one write. HTTP.sys then answers later GETs of the URL
     * itself, without the application (and without its filters, logs or security checks), where its own rules
     * allow (no Authorization, no Windows authentication on the URL, F-163). Off: no response is offered.
     *
     * @param on offer cacheable responses to the kernel cache
     * @see #flushResponseCache(String, boolean)
     */
    public void setResponseCaching(boolean on)
    {
        _responseCaching = on;
    }

    @ManagedAttribute("responses that say Cache-Control: public are offered to HTTP.sys's kernel response cache")
    public boolean isResponseCaching()
    {
        return _responseCaching;
    }

    /**
     * Drops what HTTP.sys's kernel response cache holds for a URL (F-167), so the next request for it reaches
     * the application again.
     *
     * @param url an absolute URL as requests name it ({@code http://host:port/path}), or a prefix of such URLs
     * @param recursive also every URL under it
     * @throws IllegalStateException when the connector is not running or HTTP.sys refuses
     */
    @org.eclipse.jetty.util.annotation.ManagedOperation(value = "drop the kernel response cache's entries for a URL (and with recursive=true, under it)", impact = "ACTION")
    public void flushResponseCache(@org.eclipse.jetty.util.annotation.Name("url") String url,
                                   @org.eclipse.jetty.util.annotation.Name("recursive") boolean recursive)
    {
        RequestQueue q = _queue;
        if (q == null)
            throw new IllegalStateException("Not started: " + this);
        int rc = q.flushResponseCache(url, recursive);
        if (rc != Layout.NO_ERROR)
            throw new IllegalStateException("HttpFlushResponseCache(" + url + "): " + Layout.describeError(rc));
    }

    /**
     * Runs a request's handler on the completion thread that received it, instead of handing it to Jetty's
     * thread pool, as ASP.NET's {@code UnsafePreferInlineScheduling}; unlike that option, only while another
     * completion thread stays free (so it needs {@link #setCompletionThreads(int) two or more}), so a handler
     * that blocks can never hold up the completions it waits for. A handler that blocks for long still keeps
     * a completion thread from draining meanwhile. On by default; measured with warmed-up JVMs on the
     * emulator, on and off are within a few per cent of each other in requests per second (keep-alive GETs,
     * 1 MiB uploads and downloads), so the default is not a figure's verdict: docs/configuration.md.
     * Handlers declared non-blocking always run inline.
     *
     * @param inline run handlers on completion threads when one can be spared
     */
    public void setPreferInlineScheduling(boolean inline)
    {
        _config.preferInlineScheduling = inline;
    }

    @ManagedAttribute("handlers run on the completion thread that received the request, while another stays free")
    public boolean isPreferInlineScheduling()
    {
        return _config.preferInlineScheduling;
    }

    public void setEagerDisconnectWait(boolean eager)
    {
        _eagerDisconnectWait = eager;
    }

    @ManagedAttribute("a disconnect reaches Jetty during the first dispatch too")
    public boolean isEagerDisconnectWait()
    {
        return _eagerDisconnectWait;
    }

    /**
     * @param mode where client certificates come from: none, the handshake's (default), or a
     * renegotiation HTTP.sys makes before the first request of a connection is handled
     */
    public void setClientCertificateMode(ClientCertificateMode mode)
    {
        if (mode == null)
            throw new IllegalArgumentException("client certificate mode: NONE, NEGOTIATED or RENEGOTIATE");
        _clientCertificateMode = mode;
    }

    @ManagedAttribute("NONE, NEGOTIATED or RENEGOTIATE")
    public ClientCertificateMode getClientCertificateMode()
    {
        return _clientCertificateMode;
    }

    HttpConfiguration getHttpConfiguration()
    {
        // Looked up once per start: the factory map is walked with an iterator, twice per request otherwise.
        HttpConfiguration config = _httpConfiguration;
        return config != null ? config : getConnectionFactory(HttpSysConnectionFactory.class).getHttpConfiguration();
    }

    RequestQueue getRequestQueue()
    {
        return _queue;
    }

    String getConnectionIdPrefix()
    {
        return _connectionIdPrefix;
    }

    @Override
    public int getLocalPort()
    {
        return _config.urlPrefixes.isEmpty() ? -1 : RequestQueueConfig.portOf(_config.urlPrefixes.get(0));
    }

    @Override
    public int getPort()
    {
        return getLocalPort();
    }

    /** @return the host of the first URL prefix ({@code +}, {@code *}, a name or an address): HTTP.sys listens, not Jetty */
    @Override
    public String getHost()
    {
        if (_config.urlPrefixes.isEmpty())
            return null;
        String p = _config.urlPrefixes.get(0);
        String rest = p.substring(p.indexOf("://") + 3);
        int hostEnd = rest.startsWith("[") ? rest.indexOf(']') + 1 : rest.indexOf(':');
        return rest.substring(0, hostEnd);
    }

    @Override
    public Object getTransport()
    {
        return _queue == null ? null : _queue.handle();
    }

    @Override
    protected void doStart() throws Exception
    {
        super.doStart();
        _httpConfiguration = getConnectionFactory(HttpSysConnectionFactory.class).getHttpConfiguration();
        if (_config.completionExecutor != null)
            _completionLease = org.eclipse.jetty.util.thread.ThreadPoolBudget.leaseFrom(getExecutor(), this, _config.completionThreads);
        // Receives begin only now: the executor that runs requests is started (Server.start() opens
        // network connectors before it starts its thread pool).
        RequestQueue queue = _queue;
        if (queue != null)
            queue.startReceiving((task, ms) -> getScheduler().schedule(task, ms, TimeUnit.MILLISECONDS));
        _idleCheck = getScheduler().schedule(this::checkIdle, 1, TimeUnit.SECONDS);
        LOG.info("Started {} on {}", this, nativeImplementation());
    }

    @Override
    public void open() throws IOException
    {
        if (_queue != null)
            return;
        // The completion loops run on Jetty's thread pool, which counts them in its budget as it counts
        // ServerConnector's selectors; another executor gets threads of their own.
        _config.completionExecutor = getExecutor() instanceof org.eclipse.jetty.util.thread.ThreadPool ? getExecutor() : null;
        RequestQueue queue = new RequestQueue(_config, this::onRequest, getExecutor());
        _drained = new CompletableFuture<>();
        _shuttingDown = false;
        _queue = queue;
        try
        {
            queue.open(getName() == null ? "httpsys" : getName());
        }
        catch (RuntimeException x)
        {
            _queue = null;
            throw new IOException("Cannot open the HTTP.sys request queue for " + _config.urlPrefixes + ": " + x.getMessage(), x);
        }
    }

    @Override
    public boolean isOpen()
    {
        return _queue != null && !_shuttingDown;
    }

    /**
     * Stops taking requests: the queue is detached from its URL group, so HTTP.sys answers new
     * requests with 503 itself (F-85, F-93), and any request already queued is answered with 503 by
     * the connector; those in progress go on (graceful shutdown).
     */
    @Override
    public void close()
    {
        if (_shuttingDown)
            return;
        _shuttingDown = true;
        RequestQueue q = _queue;
        if (q != null)
        {
            int rc = q.unbind();
            if (rc != Layout.NO_ERROR)
                LOG.warn("Detaching the request queue from its URL group failed: {}", Layout.describeError(rc));
        }
        checkDrained();
    }

    @Override
    public CompletableFuture<Void> shutdown()
    {
        super.shutdown(); // for isShutdown(); its future waits for idle connections, which HTTP.sys keeps
        close();
        CompletableFuture<Void> drained = _drained;
        return drained == null ? CompletableFuture.completedFuture(null) : drained;
    }

    private void checkDrained()
    {
        CompletableFuture<Void> drained = _drained;
        if (_shuttingDown && drained != null && _active.get() == 0)
            drained.complete(null);
    }

    @Override
    protected void doStop() throws Exception
    {
        close();
        if (_idleCheck != null)
            _idleCheck.cancel();
        RequestQueue q = _queue;
        if (q != null)
            q.stopReceiving();
        // Whatever is still in progress is cancelled: its client sees a reset.
        for (HttpSysStream.Handle s : activeRequests())
            s.abort(new org.eclipse.jetty.io.EofException("Connector stopped"));
        if (q != null)
            _receiveErrorsBefore += q.receiveErrors();
        _queue = null;
        if (q != null)
            q.close(); // the disconnect waits complete (F-84): their connections close
        for (HttpSysConnection c : new ArrayList<>(_connections.values()))
            retire(c, null);
        if (_completionLease != null)
        {
            _completionLease.close();
            _completionLease = null;
        }
        synchronized (_spareMultiplexed)
        {
            _spareMultiplexed.clear();
        }
        super.doStop();
        _httpConfiguration = null;
    }

    /** @return the stream (with its channel) of a finished HTTP/2 or HTTP/3 request, taken, or null */
    private HttpSysStream takeMultiplexed()
    {
        synchronized (_spareMultiplexed)
        {
            return _spareMultiplexed.pollLast();
        }
    }

    /**
     * Keeps the stream of a finished HTTP/2 or HTTP/3 request, with its recycled channel, for the next such
     * request: HTTP.sys gives each stream a connection of its own (F-77), so the connector keeps them, at most
     * {@link #MAX_SPARE_CHANNELS}, newest first.
     */
    void offerMultiplexed(HttpSysStream stream)
    {
        synchronized (_spareMultiplexed)
        {
            if (_spareMultiplexed.size() < MAX_SPARE_CHANNELS && isRunning())
                _spareMultiplexed.addLast(stream);
        }
    }

    /**
     * Counts the recycled channels connections keep: +1 asks for room for one more (false when the bound is
     * reached), -1 gives one back.
     */
    boolean spareChannels(int delta)
    {
        if (delta < 0)
        {
            _spareChannels.decrementAndGet();
            return true;
        }
        if (_spareChannels.incrementAndGet() <= MAX_SPARE_CHANNELS)
            return true;
        _spareChannels.decrementAndGet();
        return false;
    }

    /** HTTP.sys refused HTTP_SEND_RESPONSE_FLAG_GOAWAY once (a Windows build before 19H2, F-157): not set again. */
    void goAwayRefused()
    {
        if (!_goAwayRefused)
        {
            _goAwayRefused = true;
            LOG.info("HTTP.sys refuses GOAWAY on HTTP/2 responses (Windows before 10.0.18363): Connection: close ends the stream only");
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean _upgradeRefusalLogged = new java.util.concurrent.atomic.AtomicBoolean();

    /** HTTP.sys refused a 101 in opaque mode: said once, at INFO; each such request gets a 501. */
    void upgradeRefused(String requestId, int error)
    {
        if (_upgradeRefusalLogged.compareAndSet(false, true))
            LOG.info("HTTP.sys refused an upgrade (request {}: {}): WebSocket needs opaque mode, Windows 8 / Server 2012 or later; such requests get 501",
                requestId, Layout.describeError(error));
        else if (LOG.isDebugEnabled())
            LOG.debug("HTTP.sys refused the upgrade of request {}: {}", requestId, Layout.describeError(error));
    }

    /** @return whether HTTP.sys refused the GOAWAY flag, so Connection: close on HTTP/2 ends the stream only */
    @ManagedAttribute("HTTP.sys refused GOAWAY (Windows before 19H2)")
    public boolean isGoAwayRefused()
    {
        return _goAwayRefused;
    }

    @Override
    protected void accept(int acceptorID)
    {
        throw new UnsupportedOperationException("HTTP.sys accepts connections itself");
    }

    /** A request arrived (completion thread; the view is valid only during this call). */
    private Runnable onRequest(HttpRequestView view)
    {
        // First, before anything can reject the request: the access token is ours to close (F-139).
        WindowsIdentity identity = _config.authSchemes == 0 ? null : identity(view);
        if (identity == null && _config.authSchemes != 0 && !_allowAnonymous)
        {
            challenge(view.requestId());
            return null;
        }
        long connectionId = view.connectionId();
        HttpSysConnection connection;
        // HTTP/2 and HTTP/3 are reported as Version 1.1 with a flag (F-153, F-186).
        HttpVersion version = ResponseFraming.protocol(view.flags(), view.majorVersion(), view.minorVersion());
        MetaData.Request request;
        boolean hasBody = (view.flags() & Layout.HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS) != 0;
        try
        {
            request = RequestMetaData.from(view, version, getHttpConfiguration(), _fieldCache);
        }
        catch (RuntimeException x)
        {
            // Client-controlled text stays at DEBUG.
            if (LOG.isDebugEnabled())
                LOG.debug("Bad request {} from HTTP.sys", Long.toHexString(view.requestId()), x);
            int status = x instanceof HttpException http ? http.getCode() : HttpStatus.BAD_REQUEST_400;
            reject(view.requestId(), status);
            return null;
        }
        boolean wantsClose = !ResponseFraming.multiplexed(version) && RequestMetaData.wantsClose(request, version);
        if (_shuttingDown)
        {
            // Queued before the URL group was detached: answered at once, not reset at stop.
            reject(view.requestId(), HttpStatus.SERVICE_UNAVAILABLE_503);
            return null;
        }
        HttpSysStream stream;
        HttpChannel channel;
        boolean created;
        while (true)
        {
            created = false;
            connection = _connections.get(connectionId);
            if (connection == null)
            {
                HttpSysConnection fresh = new HttpSysConnection(this, connectionId, view.localAddress(), view.remoteAddress(), view.isSecure(), version);
                if (_connections.putIfAbsent(connectionId, fresh) != null)
                    continue;
                connection = fresh;
                created = true;
            }
            // The stream and channel the connection's last request gave back (HTTP/1.x), or those of a finished
            // HTTP/2 or HTTP/3 stream, which came with a connection of its own (F-77), or new ones; see
            // HttpSysStream#offerWhenDone. The stream has its channel before anything (disconnect, idle sweep,
            // stop) can find it.
            boolean multiplexed = ResponseFraming.multiplexed(version);
            stream = multiplexed ? takeMultiplexed() : connection.takeStream();
            StreamMetaData meta = multiplexed ? (stream == null ? null : stream.meta()) : connection.takeChannel();
            if (stream == null)
                stream = new HttpSysStream(this);
            stream.start(connection, view.requestId(), version, "HEAD".equals(request.getMethod()), hasBody, request.getContentLength(),
                wantsClose);
            stream.identity(identity);
            if (meta == null)
            {
                meta = new StreamMetaData(connection);
                meta.channel = _channelFactory.newHttpChannel(meta);
            }
            meta.set(connection, version, !wantsClose);
            channel = meta.channel;
            channel.setHttpStream(stream);
            stream.setChannel(meta);
            if (connection.addStream(stream))
                break;
            // That connection object ended (its disconnect completed): this request starts a new one.
            _connections.remove(connectionId, connection);
        }
        if (created || (connection.tls() != null && connection.tls().peerCertificates() == null && view.sslClientCertificate() != null))
        {
            // At the first request, or once a client certificate arrived.
            TlsSessionData tls = TlsSessionData.from(view);
            connection.tls(tls != null && _clientCertificateMode == ClientCertificateMode.NONE ? tls.withCertificate(null) : tls);
        }
        if (created)
        {
            onEndPointOpened(connection.getEndPoint());
            connection.opened();
        }
        _active.incrementAndGet();
        if (LOG.isDebugEnabled())
            LOG.debug("request {} {} on {}", request.getMethod(), request.getHttpURI(), stream);
        // One wait per connection for its whole life (F-71), armed once its first stream is in it,
        // so a wait that completes at once (the client already left, F-74) reaches that stream; on
        // HTTP/2 and HTTP/3 at the end of the first dispatch, if the request is not over by then.
        if (created && !connection.armsWaitLate())
            connection.armDisconnectWait();
        TlsSessionData tls = connection.tls();
        if (_clientCertificateMode == ClientCertificateMode.RENEGOTIATE && tls != null && tls.peerCertificates() == null &&
            connection.askCertificateOnce())
        {
            askClientCertificate(connection, stream, channel, request, 1500); // ASP.NET's first size (F-124)
            return null;
        }
        return dispatchTask(stream, channel, request);
    }

    /**
     * HttpReceiveClientCertificate before the first request of the connection is handled: HTTP.sys
     * renegotiates (F-125); the request runs when the answer is in, with or without a certificate.
     */
    private void askClientCertificate(HttpSysConnection connection, HttpSysStream stream, HttpChannel channel, MetaData.Request request, int size)
    {
        RequestQueue queue = getRequestQueue();
        if (queue == null)
        {
            execute(dispatchTask(stream, channel, request));
            return;
        }
        io.github.jettyhttpsys.engine.SimpleOp op = new io.github.jettyhttpsys.engine.SimpleOp(size);
        op.onCompletion((error, bytes) ->
        {
            byte[] der = null;
            int retry = 0;
            if (error == Layout.NO_ERROR)
                der = certificate(op);
            else if (error == Layout.ERROR_MORE_DATA && size < 64 * 1024)
                retry = bytes + op.view().getInt(io.github.jettyhttpsys.engine.NativeOp.PAYLOAD + Layout.CLIENT_CERT_ENCODED_SIZE); // F-124
            if (LOG.isDebugEnabled())
                LOG.debug("client certificate for {}: {}", connection, Layout.describeError(error));
            op.free();
            if (retry > 0)
            {
                askClientCertificate(connection, stream, channel, request, retry);
                return;
            }
            if (der != null && connection.tls() != null)
                connection.tls(connection.tls().withCertificate(der));
            execute(dispatchTask(stream, channel, request));
        });
        queue.receiveClientCertificate(connection.getConnectionId(), op);
    }

    /** The DER certificate of an HTTP_SSL_CLIENT_CERT_INFO HTTP.sys wrote into the op (F-127). */
    private static byte[] certificate(io.github.jettyhttpsys.engine.SimpleOp op)
    {
        java.nio.ByteBuffer v = op.view();
        int at = io.github.jettyhttpsys.engine.NativeOp.PAYLOAD;
        if (v.getInt(at + Layout.CLIENT_CERT_FLAGS) != 0)
            return null; // untrusted, expired or revoked chain (F-127)
        int size = v.getInt(at + Layout.CLIENT_CERT_ENCODED_SIZE);
        long p = v.getLong(at + Layout.CLIENT_CERT_P_ENCODED);
        long offset = p - op.payloadAddress();
        if (p == 0 || size <= 0 || offset < Layout.HTTP_SSL_CLIENT_CERT_INFO_SIZE || offset + size > op.payloadSize())
            return null;
        byte[] der = new byte[size];
        v.get(at + (int)offset, der);
        return der;
    }

    /**
     * @return the first dispatch of the request, for the engine to run (on the completion thread that received
     * it when preferInlineScheduling can spare it, else on Jetty's thread pool); null when it ran already
     * (a handler declared non-blocking runs here, as Jetty's own selector runs non-blocking tasks)
     */
    private Runnable dispatchTask(HttpSysStream stream, HttpChannel channel, MetaData.Request request)
    {
        Runnable task = channel.onRequest(request);
        WindowsIdentity identity = stream.identity();
        if (identity != null)
            channel.getRequest().setAttribute(WindowsIdentity.ATTRIBUTE, identity);
        Runnable dispatch = stream.firstDispatch(task);
        if (org.eclipse.jetty.util.thread.Invocable.getInvocationType(task) == org.eclipse.jetty.util.thread.Invocable.InvocationType.NON_BLOCKING)
        {
            dispatch.run();
            return null;
        }
        return dispatch;
    }

    /**
     * The user HTTP.sys authenticated (Success), read from the request's access token, which is closed
     * here whatever happens: exactly once. Null when anonymous or failed (F-133, F-136).
     */
    private WindowsIdentity identity(HttpRequestView view)
    {
        int[] auth = view.authInfo();
        long token = view.authAccessToken();
        if (auth == null || auth[0] != Layout.HttpAuthStatusSuccess || token == 0)
        {
            if (token != 0)
                io.github.jettyhttpsys.nativeapi.Kernel32.CloseHandle(new com.sun.jna.Pointer(token));
            return null;
        }
        try
        {
            io.github.jettyhttpsys.nativeapi.AccessToken.Info info = io.github.jettyhttpsys.nativeapi.AccessToken.read(new com.sun.jna.Pointer(token));
            List<String> groups = new ArrayList<>();
            List<String> sids = new ArrayList<>();
            for (io.github.jettyhttpsys.nativeapi.AccessToken.Account g : info.groups())
            {
                groups.add(g.name());
                sids.add(g.sid());
            }
            String scheme = switch (auth[3])
            {
                case Layout.HttpRequestAuthTypeBasic -> "Basic";
                case Layout.HttpRequestAuthTypeNTLM -> "NTLM";
                case Layout.HttpRequestAuthTypeKerberos -> "Kerberos";
                case Layout.HttpRequestAuthTypeDigest -> "Digest";
                default -> "Negotiate";
            };
            return new WindowsIdentity(info.user().name(), info.user().sid(), groups, sids, scheme,
                (auth[2] & Layout.HTTP_REQUEST_AUTH_FLAG_TOKEN_FOR_CACHED_CRED) != 0);
        }
        catch (RuntimeException | LinkageError x)
        {
            LOG.warn("Cannot read the access token of request {}: {}", Long.toHexString(view.requestId()), x.toString());
            return null;
        }
        finally
        {
            io.github.jettyhttpsys.nativeapi.Kernel32.CloseHandle(new com.sun.jna.Pointer(token));
        }
    }

    /**
     * With {@code allowAnonymous=false}: the 401 an unauthenticated request gets before the application,
     * naming the enabled schemes, which HTTP.sys completes (F-134). The connection stays open: the
     * handshake continues on it.
     */
    private void challenge(long requestId)
    {
        io.github.jettyhttpsys.engine.HeaderList headers = new io.github.jettyhttpsys.engine.HeaderList();
        for (String scheme : getAuthenticationSchemes())
            headers.add("WWW-Authenticate", scheme);
        headers.add("Content-Type", "text/html;charset=iso-8859-1");
        String body = "<html><body><h2>HTTP ERROR 401 Unauthorized</h2></body></html>";
        SendOp op = SendOp.response(401, "Unauthorized", headers,
            List.of(java.nio.ByteBuffer.wrap(body.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))), (error, bytes) ->
            {
                if (LOG.isDebugEnabled())
                    LOG.debug("challenged {}: {}", Long.toHexString(requestId), Layout.describeError(error));
            });
        RequestQueue queue = getRequestQueue();
        if (queue == null)
            op.free();
        else
            queue.sendResponse(requestId, 0, op);
    }

    /**
     * Answers a request the connector cannot hand to Jetty with a real error response and closes
     * its connection (DISCONNECT, F-62), as Jetty's own parser does, instead of a reset.
     */
    private void reject(long requestId, int status)
    {
        String reason = HttpStatus.getMessage(status);
        String body = "<html><body><h2>HTTP ERROR " + status + " " + reason + "</h2></body></html>";
        io.github.jettyhttpsys.engine.HeaderList headers = io.github.jettyhttpsys.engine.HeaderList.of("Content-Type", "text/html;charset=iso-8859-1");
        java.nio.ByteBuffer content = java.nio.ByteBuffer.wrap(body.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        SendOp op = SendOp.response(status, reason, headers, List.of(content), (error, bytes) ->
        {
            if (LOG.isDebugEnabled())
                LOG.debug("rejected {} with {}: {}", Long.toHexString(requestId), status, Layout.describeError(error));
        });
        RequestQueue queue = getRequestQueue();
        if (queue == null)
            op.free();
        else
            queue.sendResponse(requestId, Layout.HTTP_SEND_RESPONSE_FLAG_DISCONNECT, op);
    }

    /**
     * Runs a task on the executor; once the executor stopped (a request still ending after
     * Server.stop()), on this thread, so no completion is ever lost to a rejection.
     */
    void execute(Runnable task)
    {
        if (task == null)
            return;
        try
        {
            getExecutor().execute(task);
        }
        catch (java.util.concurrent.RejectedExecutionException x)
        {
            task.run();
        }
    }

    /** As {@code ThreadPool.executeImmediately}, with the same fallback as {@link #execute(Runnable)}. */
    void executeImmediately(Runnable task)
    {
        if (task == null)
            return;
        try
        {
            org.eclipse.jetty.util.thread.ThreadPool.executeImmediately(getExecutor(), task);
        }
        catch (java.util.concurrent.RejectedExecutionException x)
        {
            task.run();
        }
    }

    void streamCompleted(HttpSysStream stream)
    {
        _served.increment();
        if (_active.decrementAndGet() == 0)
            checkDrained();
    }

    /** The requests in progress: every connection with one is tracked until its last request completes. */
    List<HttpSysStream> activeStreams()
    {
        List<HttpSysStream> all = new ArrayList<>();
        for (HttpSysConnection c : _connections.values())
            all.addAll(c.streams());
        return all;
    }

    /** Handles on the requests in progress, for notifications that act on them later (see HttpSysStream.Handle). */
    private List<HttpSysStream.Handle> activeRequests()
    {
        List<HttpSysStream.Handle> all = new ArrayList<>();
        for (HttpSysConnection c : _connections.values())
            all.addAll(c.requests());
        return all;
    }

    /** The connection is gone and has nothing in progress: Jetty's connection lifecycle ends for it. */
    void retire(HttpSysConnection connection, Throwable cause)
    {
        _connections.remove(connection.getConnectionId(), connection);
        onEndPointClosed(connection.getEndPoint());
        connection.closed(cause);
    }

    private void checkIdle()
    {
        long now = System.nanoTime();
        for (HttpSysStream.Handle s : activeRequests())
        {
            try
            {
                s.checkIdle(now);
            }
            catch (Throwable x)
            {
                LOG.warn("Idle check failed for {}", s, x);
            }
        }
        if (isRunning())
            _idleCheck = getScheduler().schedule(this::checkIdle, 1, TimeUnit.SECONDS);
    }

    /**
     * @return requests in progress
     */
    @ManagedAttribute("requests in progress")
    public int getActiveRequests()
    {
        return _active.get();
    }

    /**
     * @return connections with a request in progress or an armed disconnect wait
     */
    @ManagedAttribute("tracked connections")
    public int getTrackedConnections()
    {
        return _connections.size();
    }

    /** A disconnect wait completed while requests were in progress on the connection. */
    void disconnectDetected(int requests)
    {
        _disconnects.add(requests);
    }

    /** A request was cancelled in HTTP.sys (Jetty aborted it). */
    void requestCancelled()
    {
        _cancelled.increment();
    }

    /** A request body was larger than {@link #getMaxRequestBodySize()}. */
    void bodyTooLarge()
    {
        _tooLarge.increment();
    }

    @ManagedAttribute("requests completed since start")
    public long getRequestsServed()
    {
        return _served.sum();
    }

    @ManagedAttribute("requests in progress when their client went away")
    public long getDisconnectsDetected()
    {
        return _disconnects.sum();
    }

    @ManagedAttribute("requests Jetty aborted, cancelled in HTTP.sys")
    public long getRequestsCancelled()
    {
        return _cancelled.sum();
    }

    @ManagedAttribute("HttpReceiveHttpRequest failures, each retried with back-off")
    public long getReceiveErrors()
    {
        RequestQueue q = _queue;
        return _receiveErrorsBefore + (q == null ? 0 : q.receiveErrors());
    }

    @ManagedAttribute("request bodies refused with 413")
    public long getRequestBodiesTooLarge()
    {
        return _tooLarge.sum();
    }

    @Override
    public void dump(Appendable out, String indent) throws IOException
    {
        RequestQueue q = _queue;
        List<Object> queue = new ArrayList<>();
        queue.add("name=" + (_config.name == null ? "(unnamed)" : _config.name) + " mode=" + getRequestQueueMode() + " attached=" + isAttached());
        queue.add("prefixes=" + _config.urlPrefixes);
        queue.add("queueLength=" + _config.queueLength + " maxConnections=" + _config.maxConnections + " maxRequestBodySize=" + _maxRequestBodySize +
            " 503Verbosity=" + (get503Verbosity() == null ? "default" : get503Verbosity()));
        queue.add("timeouts(s, -1 machine-wide): entityBody=" + _config.entityBodyTimeoutSeconds + " drainEntityBody=" +
            _config.drainEntityBodyTimeoutSeconds + " requestQueue=" + _config.requestQueueTimeoutSeconds + " idleConnection=" +
            _config.idleConnectionTimeoutSeconds + " headerWait=" + _config.headerWaitTimeoutSeconds + " minSendRate=" +
            _config.minSendRateBytesPerSecond + " B/s");
        queue.add("receives outstanding=" + (q == null ? 0 : q.outstandingReceives()) + " of " + _config.receiveConcurrency +
            ", native operations pending=" + (q == null || q.port() == null ? 0 : q.port().pendingCount()));
        queue.add("served=" + getRequestsServed() + " active=" + getActiveRequests() + " disconnects=" + getDisconnectsDetected() +
            " cancelled=" + getRequestsCancelled() + " receiveErrors=" + getReceiveErrors() + " 413=" + getRequestBodiesTooLarge());
        List<Object> threads = new ArrayList<>();
        if (q != null && q.port() != null)
            for (Thread t : q.port().threads())
                threads.add(t.getName() + " " + t.getState());
        dumpObjects(out, indent,
            new org.eclipse.jetty.util.component.DumpableCollection("request queue", queue),
            new org.eclipse.jetty.util.component.DumpableCollection("connections", new ArrayList<>(_connections.values())),
            new org.eclipse.jetty.util.component.DumpableCollection("completion threads", threads));
    }

    @Override
    public String toString()
    {
        return "HttpSysConnector@" + Integer.toHexString(hashCode()) + "{" + getName() + "," + _config.urlPrefixes + "}";
    }
}
