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

    /** Receives parsed requests. */
    @FunctionalInterface
    public interface Listener
    {
        /**
         * Called on a completion thread; the view is valid only during the call: copy what is kept.
         *
         * @param request the request
         */
        void onRequest(HttpRequestView request);
    }

    private final RequestQueueConfig _config;
    private final Listener _listener;
    private final java.util.concurrent.Executor _executor;
    private final List<ReceiveOp> _receives = new ArrayList<>();
    private Pointer _queue;           // owned; closed in close()
    private long _session;            // owned
    private long _group;              // owned
    private boolean _initialized;
    private CompletionPort _port;     // owned
    private volatile boolean _receiving;

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
     * Opens everything in order and starts receiving; on failure closes what was opened.
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
                }
                try (Memory queueName = _config.name == null ? null : utf16(_config.name))
                {
                    int flags = _config.attach ? Layout.HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING : 0;
                    check("HttpCreateRequestQueue", HttpApi.HttpCreateRequestQueue(HttpApi.HTTPAPI_VERSION_2, queueName, null, flags, id));
                }
                _queue = id.getPointer(0);
            }
            if (!_config.attach)
            {
                // F-101: the queue length is set on the queue, and only by its creator.
                try (Memory len = new Memory(4))
                {
                    len.setInt(0, _config.queueLength);
                    check("HttpSetRequestQueueProperty(QueueLength)",
                        HttpApi.HttpSetRequestQueueProperty(_queue, Layout.HttpServerQueueLengthProperty, len, 4, 0, null));
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
                        if (rc != Layout.NO_ERROR)
                            throw new IllegalStateException("HTTP.sys refused URL prefix " + prefix + ": " + Layout.describeError(rc));
                    }
                }
            }
            _port = new CompletionPort(name, _config.completionThreads);
            _port.associate(_queue);
            _receiving = true;
            for (int i = 0; i < Math.max(1, _config.receiveConcurrency); i++)
            {
                ReceiveOp op = new ReceiveOp();
                _receives.add(op);
                op.receive(0);
            }
        }
        catch (RuntimeException | Error x)
        {
            close();
            throw x;
        }
    }

    private void setTimeouts()
    {
        try (Memory t = new Memory(Layout.HTTP_TIMEOUT_LIMIT_INFO_SIZE))
        {
            t.clear();
            t.setInt(0, 1);
            t.setShort(Layout.TIMEOUT_ENTITY_BODY, seconds(_config.entityBodyTimeoutSeconds));
            t.setShort(Layout.TIMEOUT_DRAIN_ENTITY_BODY, seconds(_config.drainEntityBodyTimeoutSeconds));
            t.setShort(Layout.TIMEOUT_REQUEST_QUEUE, seconds(_config.requestQueueTimeoutSeconds));
            t.setShort(Layout.TIMEOUT_IDLE_CONNECTION, seconds(_config.idleConnectionTimeoutSeconds));
            t.setShort(Layout.TIMEOUT_HEADER_WAIT, seconds(_config.headerWaitTimeoutSeconds));
            t.setInt(Layout.TIMEOUT_MIN_SEND_RATE, _config.minSendRateBytesPerSecond);
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

    private static short seconds(int s)
    {
        if (s < 0 || s > 65535)
            throw new IllegalArgumentException("HTTP.sys timeouts are 0-65535 seconds: " + s);
        return (short)s;
    }

    /**
     * Stops taking new requests: the outstanding receives are cancelled; requests in progress go on.
     */
    public void stopReceiving()
    {
        _receiving = false;
        for (ReceiveOp op : _receives)
        {
            if (op.isPending())
                io.github.jettyhttpsys.nativeapi.Kernel32.CancelIoEx(_queue, op.overlapped());
        }
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
        return _port.issue(op, o -> HttpApi.HttpSendHttpResponse(_queue, requestId, flags, o.payload(), null, null, null, 0, o.overlapped(), null));
    }

    /**
     * HttpSendResponseEntityBody of laid-out data chunks (F-25).
     *
     * @return the call's result, as for {@link #sendResponse}
     */
    public int sendBody(long requestId, int flags, SendOp op)
    {
        Pointer chunks = op.chunkCount() == 0 ? null : new Pointer(op.chunksAddress());
        return _port.issue(op, o -> HttpApi.HttpSendResponseEntityBody(_queue, requestId, flags, (short)op.chunkCount(), chunks, null, null, 0, o.overlapped(), null));
    }

    /**
     * HttpReceiveRequestEntityBody into the op's payload (F-45, F-46).
     *
     * @return the call's result, as for {@link #sendResponse}
     */
    public int readBody(long requestId, SimpleOp op)
    {
        return _port.issue(op, o -> HttpApi.HttpReceiveRequestEntityBody(_queue, requestId, 0, o.payload(), o.payloadSize(), o.bytesOut(), o.overlapped()));
    }

    /**
     * HttpWaitForDisconnectEx (HttpWaitForDisconnect where Ex is missing) (F-71..F-76).
     *
     * @return the call's result, as for {@link #sendResponse}
     */
    public int waitForDisconnect(long connectionId, SimpleOp op)
    {
        return _port.issue(op, o -> HttpApi.HttpWaitForDisconnectEx(_queue, connectionId, 0, o.overlapped()));
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
     * CancelIoEx on one pending operation (F-64, F-79).
     *
     * @return whether something was cancelled
     */
    public boolean cancelIo(NativeOp op)
    {
        Pointer q = _queue;
        return q != null && op.isPending() && io.github.jettyhttpsys.nativeapi.Kernel32.CancelIoEx(q, op.overlapped()) != 0;
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
    private final class ReceiveOp extends NativeOp
    {
        private final HttpRequestView _view = new HttpRequestView();
        private int _failures;
        private int _depth; // receives completed inline inside this op's completion (skip mode)

        ReceiveOp()
        {
            super(INITIAL_RECEIVE_SIZE);
        }

        void receive(long requestId)
        {
            if (!_receiving)
                return;
            if (_depth > 8)
            {
                // Requests keep completing inline: continue on another thread, not deeper in this stack.
                _executor.execute(() -> receive(requestId));
                return;
            }
            _depth++;
            try
            {
                _port.issue(this, op -> HttpApi.HttpReceiveHttpRequest(_queue, requestId, 0, payload(), payloadSize(), bytesOut(), overlapped()));
            }
            finally
            {
                _depth--;
            }
        }

        @Override
        protected void completed(int error, int bytes)
        {
            switch (error)
            {
                case Layout.NO_ERROR ->
                {
                    _failures = 0;
                    ByteBuffer b = view().duplicate();
                    b.position(PAYLOAD);
                    try
                    {
                        _listener.onRequest(_view.wrap(b.slice(), payloadAddress(), bytes));
                    }
                    catch (Throwable x)
                    {
                        LOG.warn("Request handling failed", x);
                    }
                    if (payloadSize() > 4 * INITIAL_RECEIVE_SIZE && _receiving)
                        allocate(INITIAL_RECEIVE_SIZE);
                    receive(0);
                }
                case Layout.ERROR_MORE_DATA ->
                {
                    // F-27: the request is bound to its id; retry with the size HTTP.sys asked for.
                    long id = view().getLong(PAYLOAD + Layout.REQ_REQUEST_ID);
                    if (!_receiving)
                        return;
                    allocate(Math.max(bytes, payloadSize() * 2));
                    receive(id);
                }
                case Layout.ERROR_CONNECTION_INVALID ->
                    receive(0); // F-27(f): the client left between the two calls
                case Layout.ERROR_OPERATION_ABORTED ->
                {
                    if (_receiving)
                        receive(0);
                }
                default ->
                {
                    if (!_receiving)
                        return;
                    if (++_failures > 10)
                    {
                        LOG.error("HttpReceiveHttpRequest keeps failing ({}); this receive stops", Layout.describeError(error));
                        return;
                    }
                    LOG.warn("HttpReceiveHttpRequest failed: {}", Layout.describeError(error));
                    receive(0);
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
