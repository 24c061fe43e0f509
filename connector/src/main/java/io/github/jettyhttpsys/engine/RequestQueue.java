package io.github.jettyhttpsys.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.github.jettyhttpsys.nativeapi.HttpApi;
import io.github.jettyhttpsys.nativeapi.HttpRequestView;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP.sys request queue with what it needs around it: server session, URL group with its
 * prefixes and binding, properties, the completion port, and the receives kept outstanding.
 * Speaks in request ids and buffers; knows nothing of Jetty.
 */
public final class RequestQueue
{
    private static final Logger LOG = LoggerFactory.getLogger(RequestQueue.class);
    private static final int INITIAL_RECEIVE_SIZE = 4096;
    /** Failed retries of a request bound by ERROR_MORE_DATA before it is cancelled. */
    private static final int BOUND_RETRIES = 8;
    /** Receives completed inline inside each other on this thread (skip mode), to bound the stack. */
    private static final ThreadLocal<int[]> RECEIVE_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    /** Receives parsed requests. */
    @FunctionalInterface
    public interface Listener
    {
        /**
         * Called on a completion thread (or the thread whose receive completed inline); the view is valid
         * only during the call: copy what is kept.
         *
         * @param request the request
         * @return the task that handles it, for the queue to run (inline when it can, see
         * {@link RequestQueueConfig#preferInlineScheduling}, else on the executor), or null when none is left
         */
        Runnable onRequest(HttpRequestView request);
    }

    private final RequestQueueConfig _config;
    private final Listener _listener;
    private final java.util.concurrent.Executor _executor;
    private final List<ReceiveOp> _receives = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong _receiveErrors = new java.util.concurrent.atomic.AtomicLong();
    private Pointer _queue;           // owned; closed in close()
    private long _session;            // owned
    private long _group;              // owned
    private boolean _initialized;
    private boolean _attached;        // created-or-attached found the queue existing
    private CompletionPort _port;     // owned
    private volatile boolean _receiving;
    private volatile Delayer _delayer;
    private final java.util.concurrent.atomic.AtomicInteger _receiveFailures = new java.util.concurrent.atomic.AtomicInteger();
    private int _loggedError;         // guarded by _receiveFailures: the cause last logged, 0 when healthy
    private long _lastFailure;        // guarded by _receiveFailures

    /**
     * @param config what to open
     * @param listener receives the requests
     * @param executor runs work that must leave a completion's stack
     */
    public RequestQueue(RequestQueueConfig config, Listener listener, java.util.concurrent.Executor executor)
    {
        _config = config;
        _listener = listener;
        _executor = executor;
    }

    public Pointer handle()
    {
        return _queue;
    }

    public CompletionPort port()
    {
        return _port;
    }

    /**
     * Opens everything in order (so a refused prefix fails at once), without receiving yet; on
     * failure closes what was opened.
     *
     * @param name a name for threads
     */
    public void open(String name)
    {
        for (String p : _config.urlPrefixes)
            RequestQueueConfig.validatePrefix(p);
        if (!_config.attach && _config.urlPrefixes.isEmpty())
            throw new IllegalArgumentException("No URL prefix configured, e.g. http://+:8080/");
        try
        {
            check("HttpInitialize", HttpApi.HttpInitialize(HttpApi.HTTPAPI_VERSION_2, Layout.HTTP_INITIALIZE_SERVER, null));
            _initialized = true;
            try (Memory id = new Memory(8))
            {
                if (!_config.attach)
                {
                    check("HttpCreateServerSession", HttpApi.HttpCreateServerSession(HttpApi.HTTPAPI_VERSION_2, id, 0));
                    _session = id.getLong(0);
                    setTimeouts();
                    check("HttpCreateUrlGroup", HttpApi.HttpCreateUrlGroup(_session, id, 0));
                    _group = id.getLong(0);
                    setConnectionLimit();
                    setAuthentication();
                }
                try (Memory queueName = _config.name == null ? null : utf16(_config.name);
                     Memory sa = _config.attach || _config.name == null || _config.securityDescriptor == null ? null : securityAttributes())
                {
                    int flags = _config.attach ? Layout.HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING : 0;
                    int rc;
                    try
                    {
                        rc = HttpApi.HttpCreateRequestQueue(HttpApi.HTTPAPI_VERSION_2, queueName, sa, flags, id);
                    }
                    finally
                    {
                        if (sa != null)
                            io.github.jettyhttpsys.nativeapi.Advapi32.LocalFree(sa.getPointer(Layout.SA_SECURITY_DESCRIPTOR));
                    }
                    if (rc == Layout.ERROR_ALREADY_EXISTS && _config.createOrAttach && !_config.attach)
                    {
                        // Another process created it first: serve from it as it was configured there.
                        _attached = true;
                        rc = HttpApi.HttpCreateRequestQueue(HttpApi.HTTPAPI_VERSION_2, queueName, null,
                            Layout.HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING, id);
                    }
                    check("HttpCreateRequestQueue", rc);
                }
                _queue = id.getPointer(0);
            }
            if (_attached)
            {
                // The creator owns the URL group and its prefixes; ours would only duplicate them.
                closeOwnGroup();
            }
            if (!_config.attach && !_attached)
            {
                // F-101: the queue length is set on the queue, and only by its creator.
                try (Memory len = new Memory(4))
                {
                    len.setInt(0, _config.queueLength);
                    check("HttpSetRequestQueueProperty(QueueLength)",
                        HttpApi.HttpSetRequestQueueProperty(_queue, Layout.HttpServerQueueLengthProperty, len, 4, 0, null));
                }
                if (_config.verbosity503 >= 0)
                {
                    // F-94: what a client gets when the queue is full or nothing serves the group.
                    try (Memory v = new Memory(4))
                    {
                        v.setInt(0, _config.verbosity503);
                        check("HttpSetRequestQueueProperty(503Verbosity)",
                            HttpApi.HttpSetRequestQueueProperty(_queue, Layout.HttpServer503VerbosityProperty, v, 4, 0, null));
                    }
                }
                try (Memory binding = new Memory(Layout.HTTP_BINDING_INFO_SIZE))
                {
                    binding.clear();
                    binding.setInt(0, 1);
                    binding.setPointer(Layout.BINDING_REQUEST_QUEUE_HANDLE, _queue);
                    check("HttpSetUrlGroupProperty(Binding)",
                        HttpApi.HttpSetUrlGroupProperty(_group, Layout.HttpServerBindingProperty, binding, Layout.HTTP_BINDING_INFO_SIZE));
                }
                for (int i = 0; i < _config.urlPrefixes.size(); i++)
                {
                    String prefix = _config.urlPrefixes.get(i);
                    try (Memory url = utf16(prefix))
                    {
                        int rc = HttpApi.HttpAddUrlToUrlGroup(_group, url, i, 0);
                        if (rc == Layout.ERROR_ACCESS_DENIED)
                            throw new IllegalStateException("HTTP.sys refused URL prefix " + prefix + ": ERROR_ACCESS_DENIED; this account may " +
                                "register it only with a URL ACL reservation (F-106, F-193). Run as an administrator, or have one reserve it once: " +
                                "netsh http add urlacl url=" + prefix + " user=DOMAIN\\account (or: java -cp \"lib/httpsys/*\" " +
                                "io.github.jettyhttpsys.UrlReservations add " + prefix + ")");
                        if (rc != Layout.NO_ERROR)
                            throw new IllegalStateException("HTTP.sys refused URL prefix " + prefix + ": " + Layout.describeError(rc));
                    }
                }
            }
            _port = new CompletionPort(name, _config.completionThreads);
            _port.associate(_queue);
            if (_config.completionExecutor == null)
                _port.start(null);
        }
        catch (RuntimeException | Error x)
        {
            close();
            throw x;
        }
    }

    /** SECURITY_ATTRIBUTES with the descriptor of the configured SDDL; its descriptor is freed by the caller. */
    private Memory securityAttributes()
    {
        try (Memory sddl = utf16(_config.securityDescriptor); Memory out = new Memory(8))
        {
            out.setPointer(0, null);
            if (io.github.jettyhttpsys.nativeapi.Advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, out, null) == 0)
                throw new IllegalArgumentException("Not a security descriptor (SDDL) for the request queue: " + _config.securityDescriptor +
                    ": " + Layout.describeError(com.sun.jna.Native.getLastError()));
            Memory sa = new Memory(Layout.SECURITY_ATTRIBUTES_SIZE);
            sa.clear();
            sa.setInt(0, Layout.SECURITY_ATTRIBUTES_SIZE);
            sa.setPointer(Layout.SA_SECURITY_DESCRIPTOR, out.getPointer(0));
            return sa;
        }
    }

    /** Windows authentication on the URL group, before the first request can arrive (F-132); nothing when off, as ASP.NET. */
    private void setAuthentication()
    {
        if (_config.authSchemes == 0)
            return;
        try (Memory info = new Memory(Layout.HTTP_SERVER_AUTHENTICATION_INFO_SIZE);
             Memory realm = _config.basicRealm == null ? null : utf16(_config.basicRealm))
        {
            info.clear();
            info.setInt(0, 1); // Flags.Present
            info.setInt(Layout.SERVER_AUTH_SCHEMES, _config.authSchemes);
            info.setByte(Layout.SERVER_AUTH_DISABLE_NTLM_CACHING, (byte)(_config.disableNtlmCredentialCaching ? 1 : 0));
            info.setByte(Layout.SERVER_AUTH_EX_FLAGS, (byte)(_config.kerberosCredentialCaching ? Layout.HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING : 0));
            if (realm != null)
            {
                info.setShort(Layout.SERVER_AUTH_BASIC_PARAMS + Layout.BASIC_PARAMS_REALM_LENGTH, (short)(_config.basicRealm.length() * 2));
                info.setPointer(Layout.SERVER_AUTH_BASIC_PARAMS + Layout.BASIC_PARAMS_REALM, realm);
            }
            check("HttpSetUrlGroupProperty(Authentication)",
                HttpApi.HttpSetUrlGroupProperty(_group, Layout.HttpServerAuthenticationProperty, info, Layout.HTTP_SERVER_AUTHENTICATION_INFO_SIZE));
        }
    }

    /** Only when the application set one: otherwise the machine-wide values stay in force (F-99). */
    private void setTimeouts()
    {
        if (!_config.timeoutsSet())
            return;
        try (Memory t = new Memory(Layout.HTTP_TIMEOUT_LIMIT_INFO_SIZE))
        {
            t.clear();
            t.setInt(0, 1);
            t.setShort(Layout.TIMEOUT_ENTITY_BODY, seconds(_config.entityBodyTimeoutSeconds));
            t.setShort(Layout.TIMEOUT_DRAIN_ENTITY_BODY, seconds(_config.drainEntityBodyTimeoutSeconds));
            t.setShort(Layout.TIMEOUT_REQUEST_QUEUE, seconds(_config.requestQueueTimeoutSeconds));
            t.setShort(Layout.TIMEOUT_IDLE_CONNECTION, seconds(_config.idleConnectionTimeoutSeconds));
            t.setShort(Layout.TIMEOUT_HEADER_WAIT, seconds(_config.headerWaitTimeoutSeconds));
            t.setInt(Layout.TIMEOUT_MIN_SEND_RATE, Math.max(0, _config.minSendRateBytesPerSecond));
            check("HttpSetServerSessionProperty(Timeouts)",
                HttpApi.HttpSetServerSessionProperty(_session, Layout.HttpServerTimeoutsProperty, t, Layout.HTTP_TIMEOUT_LIMIT_INFO_SIZE));
        }
    }

    private void setConnectionLimit()
    {
        if (_config.maxConnections < 0)
            return; // HTTP.sys's default: unlimited
        try (Memory limit = new Memory(Layout.HTTP_CONNECTION_LIMIT_INFO_SIZE); Memory qos = new Memory(Layout.HTTP_QOS_SETTING_INFO_SIZE))
        {
            limit.setInt(0, 1);
            limit.setInt(Layout.CONNECTION_LIMIT_MAX, _config.maxConnections);
            qos.clear();
            qos.setInt(0, Layout.HttpQosSettingTypeConnectionLimit);
            qos.setPointer(Layout.QOS_SETTING, limit);
            check("HttpSetUrlGroupProperty(Qos)",
                HttpApi.HttpSetUrlGroupProperty(_group, Layout.HttpServerQosProperty, qos, Layout.HTTP_QOS_SETTING_INFO_SIZE));
        }
    }

    /** A timeout for HTTP_TIMEOUT_LIMIT_INFO: 0 (inherit, F-99) where not set. */
    private static short seconds(int s)
    {
        return (short)Math.max(0, RequestQueueConfig.checkTimeout("an HTTP.sys timeout", s));
    }

    /**
     * Starts the configured number of receives. Called once the executor that runs requests is
     * started, so no request arrives before it can be served.
     *
     * @param delayer runs a retry later (back-off after receive failures)
     */
    public void startReceiving(Delayer delayer)
    {
        List<ReceiveOp> started = new ArrayList<>();
        synchronized (_receives)
        {
            if (_receiving || _queue == null)
                return;
            _delayer = delayer;
            _receiving = true;
            _port.start(_config.completionExecutor); // once the executor runs (nothing when its threads run already)
            for (int i = 0; i < Math.max(1, _config.receiveConcurrency); i++)
            {
                ReceiveOp op = new ReceiveOp();
                _receives.add(op);
                started.add(op);
            }
        }
        for (ReceiveOp op : started)
            op.receive(0);
    }

    /**
     * Stops taking new requests: the outstanding receives are cancelled, and a receive being issued
     * right now is cancelled as soon as its call returns; requests in progress go on.
     */
    public void stopReceiving()
    {
        List<ReceiveOp> receives;
        synchronized (_receives)
        {
            _receiving = false;
            receives = new ArrayList<>(_receives);
        }
        for (ReceiveOp op : receives)
            op.stop();
    }

    /**
     * Detaches the queue from its URL group (binding Present=0): HTTP.sys answers new requests for the
     * group's prefixes with 503 itself, and requests already received go on (F-85, F-93).
     *
     * @return the call's result
     */
    public int unbind()
    {
        if (_group == 0)
            return Layout.NO_ERROR;
        try (Memory binding = new Memory(Layout.HTTP_BINDING_INFO_SIZE))
        {
            binding.clear();
            return HttpApi.HttpSetUrlGroupProperty(_group, Layout.HttpServerBindingProperty, binding, Layout.HTTP_BINDING_INFO_SIZE);
        }
    }

    /** Runs a task after a delay. */
    @FunctionalInterface
    public interface Delayer
    {
        void schedule(Runnable task, long delayMs);
    }

    /** @return HttpReceiveHttpRequest calls in flight */
    public int outstandingReceives()
    {
        synchronized (_receives)
        {
            int n = 0;
            for (ReceiveOp op : _receives)
                if (op.isPending())
                    n++;
            return n;
        }
    }

    /** @return receives that failed (each retried with back-off) since the queue opened */
    public long receiveErrors()
    {
        return _receiveErrors.get();
    }

    /** @return the configuration the queue was opened with */
    public RequestQueueConfig config()
    {
        return _config;
    }

    /** The session and URL group made before an existing queue was found: the creator's serve it. */
    private void closeOwnGroup()
    {
        if (_group != 0)
            HttpApi.HttpCloseUrlGroup(_group);
        if (_session != 0)
            HttpApi.HttpCloseServerSession(_session);
        _group = 0;
        _session = 0;
    }

    /** @return whether this queue was opened, not created (ATTACH, or CREATE_OR_ATTACH that found it) */
    public boolean isAttached()
    {
        return _config.attach || _attached;
    }

    /**
     * Closes the queue (every pending operation then completes with ERROR_OPERATION_ABORTED, F-84),
     * waits for those completions, then closes the URL group, the session and the port.
     */
    public void close()
    {
        _receiving = false;
        if (_queue != null)
        {
            int rc = HttpApi.HttpCloseRequestQueue(_queue);
            if (rc != Layout.NO_ERROR)
                LOG.warn("HttpCloseRequestQueue: {}", Layout.describeError(rc));
        }
        if (_port != null && !_port.awaitNoPending(10, TimeUnit.SECONDS))
            LOG.warn("{} operations still pending after the queue was closed; their memory is kept", _port.pendingCount());
        for (ReceiveOp op : _receives)
            op.free();
        _receives.clear();
        if (_group != 0)
            HttpApi.HttpCloseUrlGroup(_group);
        if (_session != 0)
            HttpApi.HttpCloseServerSession(_session);
        if (_initialized)
            HttpApi.HttpTerminate(Layout.HTTP_INITIALIZE_SERVER, null);
        if (_port != null)
            _port.close();
        _queue = null;
        _group = 0;
        _session = 0;
        _initialized = false;
        _port = null;
    }

    /**
     * HttpSendHttpResponse of a laid-out response (F-24).
     *
     * @return the call's result; on anything but NO_ERROR/ERROR_IO_PENDING the op has completed already
     */
    public int sendResponse(long requestId, int flags, SendOp op)
    {
        CompletionPort port = _port;
        Pointer q = _queue;
        if (port == null || q == null)
            return closed(op);
        long which = port.begin(op);
        int rc;
        try
        {
            rc = HttpApi.HttpSendHttpResponse(q, requestId, flags, op.payload(), op.cachePolicy(), null, null, 0, op.overlapped(), null);
        }
        catch (Throwable x)
        {
            port.failed(op);
            throw x;
        }
        return port.end(q, op, which, rc);
    }

    /**
     * HttpSendResponseEntityBody of laid-out data chunks (F-25).
     *
     * @return the call's result, as for {@link #sendResponse}
     */
    public int sendBody(long requestId, int flags, SendOp op)
    {
        CompletionPort port = _port;
        Pointer q = _queue;
        if (port == null || q == null)
            return closed(op);
        long which = port.begin(op);
        int rc;
        try
        {
            rc = HttpApi.HttpSendResponseEntityBody(q, requestId, flags, (short)op.chunkCount(), op.chunkCount() == 0 ? null : op.chunks(),
                null, null, 0, op.overlapped(), null);
        }
        catch (Throwable x)
        {
            port.failed(op);
            throw x;
        }
        return port.end(q, op, which, rc);
    }

    /**
     * HttpReceiveRequestEntityBody into the op's payload (F-45, F-46).
     *
     * @return the call's result, as for {@link #sendResponse}
     */
    public int readBody(long requestId, SimpleOp op)
    {
        return readBody(requestId, op, op.payload(), op.payloadSize());
    }

    /**
     * HttpReceiveRequestEntityBody into memory the caller keeps until the op completes (zero copy into
     * a pooled buffer handed to Jetty as is).
     *
     * @return the call's result, as for {@link #sendResponse}
     */
    public int readBody(long requestId, SimpleOp op, Pointer into, int size)
    {
        CompletionPort port = _port;
        Pointer q = _queue;
        if (port == null || q == null)
            return closed(op);
        long which = port.begin(op);
        int rc;
        try
        {
            rc = HttpApi.HttpReceiveRequestEntityBody(q, requestId, 0, into, size, op.bytesOut(), op.overlapped());
        }
        catch (Throwable x)
        {
            port.failed(op);
            throw x;
        }
        return port.end(q, op, which, rc);
    }

    /** Once the queue is closed the op completes at once with ERROR_INVALID_HANDLE (F-84). */
    private static int closed(NativeOp op)
    {
        op.complete(Layout.ERROR_INVALID_HANDLE, 0);
        return Layout.ERROR_INVALID_HANDLE;
    }

    /**
     * HttpReceiveClientCertificate into the op's payload (F-123): HTTP.sys renegotiates when the
     * handshake gave no certificate.
     *
     * @return the call's result, as for {@link #sendResponse}
     */
    public int receiveClientCertificate(long connectionId, SimpleOp op)
    {
        return issue(op, (q, o) -> HttpApi.HttpReceiveClientCertificate(q, connectionId, 0, o.payload(), o.payloadSize(), o.bytesOut(), o.overlapped()));
    }

    /**
     * HttpWaitForDisconnectEx (HttpWaitForDisconnect where Ex is missing) (F-71..F-76).
     *
     * @return the call's result, as for {@link #sendResponse}
     */
    public int waitForDisconnect(long connectionId, SimpleOp op)
    {
        return issue(op, (q, o) -> HttpApi.HttpWaitForDisconnectEx(q, connectionId, 0, o.overlapped()));
    }

    /** A native call on the queue handle with an op's OVERLAPPED. */
    @FunctionalInterface
    private interface QueueCall
    {
        int invoke(Pointer queue, NativeOp op);
    }

    /**
     * Issues on the port; once the queue is closed (a handler still running after stop) the op
     * completes at once with ERROR_INVALID_HANDLE, as the call would on a closed handle (F-84).
     */
    private int issue(NativeOp op, QueueCall call)
    {
        CompletionPort port = _port;
        Pointer q = _queue;
        if (port == null || q == null)
        {
            op.complete(Layout.ERROR_INVALID_HANDLE, 0);
            return Layout.ERROR_INVALID_HANDLE;
        }
        return port.issue(q, op, o -> call.invoke(q, o));
    }

    /**
     * HttpFlushResponseCache, synchronous (F-167): drops the kernel cache's entries for the URL, or with
     * {@code recursive} every entry under it.
     *
     * @return NO_ERROR, or the error (ERROR_INVALID_PARAMETER for a URL that is not one)
     */
    public int flushResponseCache(String urlPrefix, boolean recursive)
    {
        Pointer q = _queue;
        if (q == null)
            return Layout.ERROR_INVALID_HANDLE;
        try (Memory url = utf16(urlPrefix))
        {
            return HttpApi.HttpFlushResponseCache(q, url, recursive ? Layout.HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE : 0, null);
        }
    }

    /**
     * HttpCancelHttpRequest, synchronous (F-80, F-81).
     *
     * @return NO_ERROR, or ERROR_CONNECTION_INVALID when the request is gone or its final send was issued
     */
    public int cancelRequest(long requestId)
    {
        Pointer q = _queue;
        return q == null ? Layout.ERROR_INVALID_HANDLE : HttpApi.HttpCancelHttpRequest(q, requestId, null);
    }

    /**
     * HttpSetRequestProperty(HttpRequestPropertyStreamError), synchronous (F-158): the HTTP/2 or HTTP/3
     * stream of the request is reset with this code when the request is then cancelled.
     *
     * @return NO_ERROR, or the error (ERROR_NOT_SUPPORTED where the export is missing)
     */
    public int setStreamError(long requestId, int code)
    {
        Pointer q = _queue;
        if (q == null)
            return Layout.ERROR_INVALID_HANDLE;
        try (Memory error = new Memory(4))
        {
            error.setInt(0, code);
            return HttpApi.HttpSetRequestProperty(q, requestId, Layout.HttpRequestPropertyStreamError, error, 4, null);
        }
    }

    /**
     * CancelIoEx on one issue of an operation (F-64, F-79): the decision and the call are one step
     * under the op's monitor, so an op that completed, was freed or was issued again is never touched.
     *
     * @param op the operation
     * @param issue the issue to cancel, as {@link NativeOp#cancel(Pointer, long)}
     * @return whether something was cancelled (or is kept for the issue)
     */
    public boolean cancelIo(NativeOp op, long issue)
    {
        return op.cancel(_queue, issue);
    }

    private static void check(String what, int rc)
    {
        if (rc != Layout.NO_ERROR)
            throw new IllegalStateException(what + " failed: " + Layout.describeError(rc));
    }

    /**
     * @param s a string
     * @return it as a NUL-terminated UTF-16LE string in native memory
     */
    public static Memory utf16(String s)
    {
        byte[] b = (s + "\0").getBytes(StandardCharsets.UTF_16LE);
        Memory m = new Memory(b.length);
        m.write(0, b, 0, b.length);
        return m;
    }

    /** One of the receives kept outstanding; reused from request to request. */
    private final class ReceiveOp extends NativeOp implements Runnable
    {
        private final HttpRequestView _view = new HttpRequestView();
        private Runnable _task; // the request's task, run inline on this thread, then the next receive
        private int _failures;
        private long _bound; // the request id this op's last receive asked for (F-27 retry), else 0

        ReceiveOp()
        {
            super(INITIAL_RECEIVE_SIZE);
        }

        void receive(long requestId)
        {
            if (!_receiving)
                return;
            // Counted per thread: once issued, this op may complete on another thread while this one
            // unwinds, so a count kept in the op would be raced by the two.
            int[] depth = RECEIVE_DEPTH.get();
            if (depth[0] > 8)
            {
                // Requests keep completing inline: continue on another thread, not deeper in this stack.
                _executor.execute(() -> receive(requestId));
                return;
            }
            depth[0]++;
            _bound = requestId;
            try
            {
                CompletionPort port = _port;
                Pointer q = _queue;
                long issue = port.begin(this);
                int rc;
                try
                {
                    rc = HttpApi.HttpReceiveHttpRequest(q, requestId, 0, payload(), payloadSize(), bytesOut(), overlapped());
                }
                catch (Throwable x)
                {
                    port.failed(this);
                    throw x;
                }
                port.end(q, this, issue, rc);
                // stopReceiving() may have looked at this op just before it was issued.
                if (!_receiving)
                    cancel(_queue, issue);
            }
            finally
            {
                depth[0]--;
            }
        }

        /** The request's task, inline, then the next receive ({@link CompletionPort#tryRunInline}). */
        @Override
        public void run()
        {
            Runnable task = _task;
            _task = null;
            try
            {
                task.run();
            }
            finally
            {
                receive(0);
            }
        }

        void stop()
        {
            long issue = issueCount();
            if (!cancel(_queue, issue))
                cancel(_queue, issue + 1);
        }

        /** After a failure: the next receive waits, longer each time, so a fault does not spin a thread. */
        private void retryLater(int error)
        {
            int run = _receiveFailures.incrementAndGet();
            boolean log;
            synchronized (_receiveFailures)
            {
                _receiveErrors.incrementAndGet();
                // One line per cause: a burst of the same error (on any of the receives) is told once.
                log = error != _loggedError;
                _loggedError = error;
                _lastFailure = System.nanoTime();
            }
            if (log)
                LOG.warn("HttpReceiveHttpRequest failed: {}; retrying with back-off until it works again", Layout.describeError(error));
            else if (LOG.isDebugEnabled())
                LOG.debug("HttpReceiveHttpRequest failed again ({} so far): {}", run, Layout.describeError(error));
            long delay = Math.min(100L, 1L << Math.min(_failures, 7));
            // F-27: a request bound by ERROR_MORE_DATA is received only by its id; a receive of 0 never
            // returns it, so its retry keeps the id, and after a few failures it is cancelled (its client
            // sees a reset, F-80) rather than left waiting with nobody to answer it.
            long id = _bound;
            if (id != 0 && _failures > BOUND_RETRIES)
            {
                cancelRequest(id);
                id = 0;
            }
            long retry = id;
            Delayer delayer = _delayer;
            if (delayer == null)
                _executor.execute(() -> receive(retry));
            else
                delayer.schedule(() -> receive(retry), delay);
        }

        /** A receive worked: once a second passed without failures, say so once and forget the cause. */
        private void received()
        {
            if (_receiveFailures.get() == 0)
                return;
            int run;
            synchronized (_receiveFailures)
            {
                if (_loggedError == 0 || System.nanoTime() - _lastFailure < TimeUnit.SECONDS.toNanos(1))
                    return;
                _loggedError = 0;
                run = _receiveFailures.getAndSet(0);
            }
            LOG.info("HttpReceiveHttpRequest works again after {} failures", run);
        }

        @Override
        protected void completed(int error, int bytes)
        {
            switch (error)
            {
                case Layout.NO_ERROR ->
                {
                    _failures = 0;
                    received();
                    Runnable task = null;
                    try
                    {
                        task = _listener.onRequest(_view.wrap(payloadView(), payloadAddress(), bytes));
                    }
                    catch (Throwable x)
                    {
                        LOG.warn("Request handling failed", x);
                        // Never left unanswered: HTTP.sys resets the client instead of letting it wait (F-80).
                        cancelRequest(_view.requestId());
                    }
                    if (payloadSize() > 4 * INITIAL_RECEIVE_SIZE && _receiving)
                        allocate(INITIAL_RECEIVE_SIZE);
                    if (task != null && _config.preferInlineScheduling)
                    {
                        // The request runs on this thread once its batch is delivered, and this receive is issued
                        // again after it: a thread that finds the next request already waiting runs it too, so a
                        // busy queue is served without a hand-off per request.
                        _task = task;
                        if (_port.tryRunInline(this))
                            return;
                        _task = null;
                    }
                    if (task != null)
                        _executor.execute(task);
                    receive(0);
                }
                case Layout.ERROR_MORE_DATA ->
                {
                    // F-27: the request is bound to its id; retry with the size HTTP.sys asked for.
                    long id = view().getLong(PAYLOAD + Layout.REQ_REQUEST_ID);
                    if (!_receiving)
                        return;
                    _failures = 0; // this receive worked: the id's retries count from here
                    allocate(Math.max(bytes, payloadSize() * 2));
                    receive(id);
                }
                case Layout.ERROR_CONNECTION_INVALID, Layout.ERROR_HANDLE_EOF ->
                {
                    // F-27(f): the client left between the two calls; EOF: the id was received already.
                    _failures = 0;
                    receive(0);
                }
                case Layout.ERROR_OPERATION_ABORTED ->
                {
                    if (_receiving)
                        receive(0);
                }
                default ->
                {
                    if (!_receiving)
                        return;
                    _failures++;
                    retryLater(error);
                }
            }
        }

        @Override
        public String toString()
        {
            return "ReceiveOp@" + Long.toHexString(address());
        }
    }
}
