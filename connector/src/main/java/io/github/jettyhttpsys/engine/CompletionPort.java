package io.github.jettyhttpsys.engine;

import java.util.List;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.github.jettyhttpsys.nativeapi.HttpApi;
import io.github.jettyhttpsys.nativeapi.Kernel32;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One I/O completion port drained in batches with GetQueuedCompletionStatusEx by a few threads.
 * A completion finds its {@link NativeOp} through the OVERLAPPED address in a striped map with
 * primitive keys ({@link PendingOps}), so no global lock is taken and nothing is boxed. The queue
 * handle is in FILE_SKIP_COMPLETION_PORT_ON_SUCCESS mode, as ASP.NET and HttpListener use it
 * (F-89): a call that returns NO_ERROR has completed and queues no packet, so it is completed
 * here on the calling thread (one thread hand-off less per send);
 * ERROR_IO_PENDING completes through a packet; any other result completes nothing (F-88).
 */
public final class CompletionPort
{
    private static final Logger LOG = LoggerFactory.getLogger(CompletionPort.class);
    private static final int BATCH = 64;

    private final PendingOps _pending = new PendingOps();
    private final List<Thread> _threads = new java.util.concurrent.CopyOnWriteArrayList<>(); // draining now
    private final String _name;
    private final int _threadCount;
    private final java.util.concurrent.CountDownLatch _loopsEnded;
    private boolean _started;
    private final Pointer _handle;   // owned; closed in close()
    private volatile boolean _closing;
    private final java.util.concurrent.atomic.AtomicInteger _runningInline = new java.util.concurrent.atomic.AtomicInteger();
    private static final ThreadLocal<Drainer> DRAINING = new ThreadLocal<>();
    private final java.util.concurrent.atomic.AtomicInteger _loggedError = new java.util.concurrent.atomic.AtomicInteger(); // last cause logged, 0 when healthy

    /** What a completion thread of a port keeps: the task it runs once its batch of completions is done. */
    private static final class Drainer
    {
        final CompletionPort port;
        Runnable inline;
        boolean running; // counted in _runningInline: runs what it takes, one after the other

        Drainer(CompletionPort port)
        {
            this.port = port;
        }
    }

    /**
     * Creates the port; nothing drains it until {@link #start}.
     *
     * @param name the thread name prefix
     * @param threads how many threads drain the port
     */
    public CompletionPort(String name, int threads)
    {
        Pointer h = Kernel32.CreateIoCompletionPort(Kernel32.INVALID_HANDLE_VALUE, null, 0, 0);
        if (h == null)
            throw new IllegalStateException("CreateIoCompletionPort failed: " + Layout.describeError(Native.getLastError()));
        _handle = h;
        _name = name;
        _threadCount = Math.max(1, threads);
        _loopsEnded = new java.util.concurrent.CountDownLatch(_threadCount);
    }

    /**
     * Starts the threads that drain the port: threads of their own, or loops run by an executor (Jetty's
     * thread pool, which then counts them, as it counts its selectors); either way named {@code name-iocp-N}
     * while they drain.
     *
     * @param executor runs the loops, or null for threads of their own
     */
    public synchronized void start(java.util.concurrent.Executor executor)
    {
        if (_started)
            return;
        _started = true;
        for (int i = 0; i < _threadCount; i++)
        {
            String name = _name + "-iocp-" + i;
            Runnable loop = () -> drain(name);
            if (executor == null)
            {
                Thread t = new Thread(loop, name);
                t.setDaemon(true);
                t.start();
            }
            else
            {
                executor.execute(loop);
            }
        }
    }

    private void drain(String name)
    {
        Thread me = Thread.currentThread();
        String was = me.getName();
        me.setName(name);
        _threads.add(me);
        try
        {
            loop();
        }
        finally
        {
            DRAINING.remove();
            _threads.remove(me);
            me.setName(was);
            _loopsEnded.countDown();
        }
    }

    /**
     * Runs a task on the calling completion thread of this port instead of handing it to another thread:
     * once the rest of the batch of completions it came in is delivered (nothing already dequeued waits for
     * it), and only while at least one other thread of the port stays free to drain, so a task that then
     * waits for a completion (a blocking write whose send pends, a blocking read) always has a thread to
     * deliver it. One task per batch.
     *
     * @param task the task
     * @return false when it will not run here (not a thread of this port, one task taken already, or no
     * other thread would stay free): the caller runs it elsewhere
     */
    public boolean tryRunInline(Runnable task)
    {
        Drainer d = DRAINING.get();
        if (d == null || d.port != this || d.inline != null)
            return false;
        if (!d.running && _runningInline.incrementAndGet() >= _threadCount)
        {
            _runningInline.decrementAndGet();
            return false;
        }
        d.running = true;
        d.inline = task;
        return true;
    }

    /** After a batch: the task {@link #tryRunInline} took, if any. */
    private void runInline(Drainer d)
    {
        if (!d.running)
            return;
        try
        {
            // A task may take the next (its receive completed at once): one after the other, no deeper stack.
            for (Runnable task; (task = d.inline) != null; )
            {
                d.inline = null;
                try
                {
                    task.run();
                }
                catch (Throwable x)
                {
                    LOG.warn("Task run on completion thread failed: {}", task, x);
                }
            }
        }
        finally
        {
            d.running = false;
            _runningInline.decrementAndGet();
        }
    }

    /** @return the threads that drain this port (for dumps) */
    public List<Thread> threads()
    {
        return List.copyOf(_threads);
    }

    /**
     * Associates a request queue handle with this port.
     *
     * @param file the handle
     */
    public void associate(Pointer file)
    {
        if (Kernel32.CreateIoCompletionPort(file, _handle, 0, 0) == null)
            throw new IllegalStateException("CreateIoCompletionPort(queue) failed: " + Layout.describeError(Native.getLastError()));
        if (Kernel32.SetFileCompletionNotificationModes(file,
            (byte)(Kernel32.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | Kernel32.FILE_SKIP_SET_EVENT_ON_HANDLE)) == 0)
            throw new IllegalStateException("SetFileCompletionNotificationModes failed: " + Layout.describeError(Native.getLastError()));
    }

    /**
     * Issues an overlapped call: registers the op before the call (its packet may be dequeued before
     * the call returns) and completes it at once when the call failed synchronously.
     *
     * @param op the operation
     * @param call the native call, given the op
     * @return the call's result
     */
    public int issue(NativeOp op, NativeCall call)
    {
        return issue(null, op, call);
    }

    /**
     * As {@link #issue(NativeOp, NativeCall)}, on a handle that a cancel of this issue must name.
     *
     * @param handle the handle the call is made on (for a cancel that arrived during the call)
     * @param op the operation
     * @param call the native call, given the op
     * @return the call's result
     */
    public int issue(Pointer handle, NativeOp op, NativeCall call)
    {
        long which = begin(op);
        int rc;
        try
        {
            rc = call.invoke(op);
        }
        catch (Throwable x)
        {
            failed(op);
            throw x;
        }
        return end(handle, op, which, rc);
    }

    /**
     * The first half of an issue made without a {@link NativeCall} (the hot paths, which allocate nothing):
     * {@code begin}, the native call, then {@link #end} with its result, or {@link #failed} if it threw.
     *
     * @return the issue number, for {@link #end}
     */
    public long begin(NativeOp op)
    {
        long which = op.markPending();
        _pending.put(op.address(), op);
        return which;
    }

    /** The native call of a {@link #begin} threw: the op is not pending. */
    public void failed(NativeOp op)
    {
        _pending.remove(op.address());
        op.markDone();
    }

    /**
     * The second half of an issue: as {@link #issue(Pointer, NativeOp, NativeCall)} after its call returned.
     *
     * @return rc
     */
    public int end(Pointer handle, NativeOp op, long which, int rc)
    {
        op.callReturned(handle, rc, which);
        if (rc == Layout.NO_ERROR)
        {
            // F-89: skip mode, completed inline: no packet will come. The byte count is in the OVERLAPPED.
            if (_pending.remove(op.address()) != null)
                op.complete(rc, (int)op.view().getLong(Layout.OVERLAPPED_INTERNAL_HIGH));
        }
        else if (rc != Layout.ERROR_IO_PENDING)
        {
            // F-88: a synchronous failure queues no packet.
            if (_pending.remove(op.address()) != null)
                op.complete(rc, op.syncBytes());
        }
        return rc;
    }

    /**
     * @return operations issued and not yet completed
     */
    public int pendingCount()
    {
        return _pending.size();
    }

    /**
     * Waits until every issued operation has completed (after the queue was closed, they all end).
     *
     * @param timeout how long
     * @param unit its unit
     * @return whether none is left
     */
    public boolean awaitNoPending(long timeout, TimeUnit unit)
    {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (!_pending.isEmpty() && System.nanoTime() < deadline)
        {
            try
            {
                Thread.sleep(2);
            }
            catch (InterruptedException x)
            {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return _pending.isEmpty();
    }

    private void loop()
    {
        Drainer drainer = new Drainer(this);
        DRAINING.set(drainer);
        try (Memory entries = new Memory((long)BATCH * Layout.OVERLAPPED_ENTRY_SIZE); Memory removed = new Memory(4))
        {
            int failures = 0;
            while (true)
            {
                int ok = Kernel32.GetQueuedCompletionStatusEx(_handle, entries, BATCH, removed, 1000, 0);
                if (ok == 0)
                {
                    int error = Native.getLastError();
                    if (_closing)
                        return;
                    if (error == Layout.WAIT_TIMEOUT)
                        continue;
                    // Only close() ends a completion thread: any other failure is retried with back-off,
                    // logged once per run of failures, so completions are never left undrained.
                    failures++;
                    // One line per cause for the whole port, however many of its threads see it.
                    if (_loggedError.getAndSet(error) != error)
                        LOG.warn("GetQueuedCompletionStatusEx failed: {}; retrying", Layout.describeError(error));
                    pause(Math.min(50L, 1L << Math.min(failures, 6)));
                    continue;
                }
                if (failures > 0 && _loggedError.getAndSet(0) != 0)
                    LOG.info("GetQueuedCompletionStatusEx works again after {} failures", failures);
                failures = 0;
                int n = removed.getInt(0);
                for (int i = 0; i < n; i++)
                {
                    long at = (long)i * Layout.OVERLAPPED_ENTRY_SIZE;
                    long ov = entries.getLong(at + Layout.OVERLAPPED_ENTRY_OVERLAPPED);
                    if (ov == 0)
                    {
                        if (_closing)
                        {
                            runInline(drainer); // taken from this batch: it still runs
                            return; // the wake-up packet of close()
                        }
                        continue;
                    }
                    NativeOp op = _pending.remove(ov);
                    if (op == null)
                    {
                        LOG.warn("Completion for an unknown OVERLAPPED 0x{}", Long.toHexString(ov));
                        continue;
                    }
                    // The status is the op's own OVERLAPPED.Internal, written before the packet was
                    // queued (OVERLAPPED_ENTRY.Internal is reserved); the byte count is the entry's.
                    int status = (int)op.view().getLong(Layout.OVERLAPPED_INTERNAL);
                    int bytes = entries.getInt(at + Layout.OVERLAPPED_ENTRY_BYTES);
                    complete(op, Layout.ntStatusToWin32(status), bytes);
                }
                runInline(drainer);
            }
        }
    }

    /** Runs one completion; nothing it throws, not even from logging, may end a completion thread. */
    private static void complete(NativeOp op, int error, int bytes)
    {
        try
        {
            op.complete(error, bytes);
        }
        catch (Throwable x)
        {
            try
            {
                LOG.warn("Completion handler of {} failed", op, x);
            }
            catch (Throwable ignored)
            {
                // the log itself failed: the thread must go on draining
            }
        }
    }

    private static void pause(long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops the threads and closes the port. Operations still pending are abandoned, never freed.
     */
    public void close()
    {
        _closing = true;
        for (NativeOp op : _pending.values())
            NativeOp.abandon(op);
        for (int i = 0; i < _threadCount; i++)
            Kernel32.PostQueuedCompletionStatus(_handle, 0, 0, null);
        boolean started;
        synchronized (this)
        {
            started = _started;
        }
        try
        {
            if (started && !_loopsEnded.await(5, TimeUnit.SECONDS))
                LOG.warn("{} completion threads still draining after 5 s", _loopsEnded.getCount());
        }
        catch (InterruptedException x)
        {
            Thread.currentThread().interrupt();
        }
        Kernel32.CloseHandle(_handle);
    }

    /** A native call made with an op's OVERLAPPED. */
    @FunctionalInterface
    public interface NativeCall
    {
        /**
         * @param op the op
         * @return the Win32 result
         */
        int invoke(NativeOp op);
    }

    static
    {
        // Loading HttpApi registers the library once; the completion port needs it loaded.
        HttpApi.hasWaitForDisconnectEx();
    }
}
