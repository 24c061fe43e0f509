package io.github.jettyhttpsys.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.github.jettyhttpsys.nativeapi.Kernel32;
import io.github.jettyhttpsys.nativeapi.Layout;

/**
 * One overlapped operation: a native block holding its OVERLAPPED (offset 0), a ULONG for the
 * byte count of synchronous results (offset 32) and the operation's own payload (from
 * {@link #PAYLOAD}). Ownership: the op owns its block from the native call until its completion
 * packet is dequeued; it is freed only by {@link #free()}, which refuses while the op is pending,
 * and defers to the completion when asked while pending (also on shutdown).
 * <p>
 * Every issue of the op has a sequence number ({@link #issueCount()}); a cancel names the issue it
 * means, and the decision and the {@code CancelIoEx} call happen under the op's monitor, so a cancel
 * can never reach an op that completed, was freed, or was issued again in between (the monitor also
 * guards free and re-issue). A cancel that arrives while the native call is still being made, or
 * before it is made, is kept and applied as soon as the call returns pending.
 */
public abstract class NativeOp
{
    /** Offset of the payload in the block. */
    public static final int PAYLOAD = 40;

    private Memory memory;       // owned; freed in free() when not pending
    private ByteBuffer view;
    private Pointer payloadPointer;   // cached per block: a completion path allocates nothing
    private Pointer bytesPointer;
    private ByteBuffer payloadView;
    private boolean pending;          // guarded by this
    private boolean completing;       // guarded by this
    private boolean freeOnCompletion; // guarded by this
    private long issue;               // guarded by this: sequence number of the latest issue
    private boolean inCall;           // guarded by this: the issuing native call has not returned
    private long cancelIssue;         // guarded by this: a cancel waiting for that issue to pend

    protected NativeOp(int payloadSize)
    {
        allocate(payloadSize);
    }

    /**
     * Replaces the block with a larger one (only while not pending).
     *
     * @param payloadSize the payload bytes needed
     */
    protected synchronized void allocate(int payloadSize)
    {
        if (pending)
            throw new IllegalStateException("pending");
        if (memory != null)
            memory.close();
        memory = new Memory(PAYLOAD + Math.max(8, payloadSize));
        memory.clear();
        view = memory.getByteBuffer(0, memory.size()).order(ByteOrder.LITTLE_ENDIAN);
        payloadPointer = memory.share(PAYLOAD);
        bytesPointer = memory.share(32);
        payloadView = null;
    }

    /**
     * @return the payload as a little-endian buffer from its first byte, for absolute reads; one per block
     */
    public synchronized ByteBuffer payloadView()
    {
        if (payloadView == null)
            payloadView = view.duplicate().position(PAYLOAD).slice().order(ByteOrder.LITTLE_ENDIAN);
        return payloadView;
    }

    public Pointer overlapped()
    {
        return memory;
    }

    public long address()
    {
        return Pointer.nativeValue(memory);
    }

    public Pointer bytesOut()
    {
        return bytesPointer;
    }

    public int syncBytes()
    {
        return view.getInt(32);
    }

    public Pointer payload()
    {
        return payloadPointer;
    }

    public long payloadAddress()
    {
        return Pointer.nativeValue(memory) + PAYLOAD;
    }

    public int payloadSize()
    {
        return (int)memory.size() - PAYLOAD;
    }

    /**
     * @return the whole block as little-endian bytes; the payload starts at {@link #PAYLOAD}
     */
    public ByteBuffer view()
    {
        return view;
    }

    public synchronized boolean isPending()
    {
        return pending;
    }

    synchronized long markPending()
    {
        if (memory == null)
            throw new IllegalStateException("freed");
        view.putLong(Layout.OVERLAPPED_INTERNAL, 0);
        view.putLong(Layout.OVERLAPPED_INTERNAL_HIGH, 0);
        view.putInt(32, 0);
        pending = true;
        inCall = true;
        return ++issue;
    }

    synchronized void markDone()
    {
        pending = false;
        inCall = false;
    }

    /**
     * @return the sequence number of the latest issue; the next issue has this number plus one
     */
    public synchronized long issueCount()
    {
        return issue;
    }

    /**
     * The issuing call returned: applies a cancel that arrived meanwhile (or before the call).
     *
     * @param queue the handle the op was issued on
     * @param rc the call's result
     * @param which the issue the call made
     */
    synchronized void callReturned(Pointer queue, int rc, long which)
    {
        if (which != issue)
            return; // completed and issued again meanwhile: that issue's own call decides
        inCall = false;
        if (rc == Layout.ERROR_IO_PENDING && pending && cancelIssue == issue && queue != null)
            Kernel32.CancelIoEx(queue, memory);
    }

    /**
     * Cancels one issue of this op, and nothing else: never another issue, never after it completed
     * or was freed (then CancelIoEx would be given a stale or NULL OVERLAPPED, F-79).
     *
     * @param queue the handle the op was issued on
     * @param which the issue to cancel: {@link #issueCount()} for the pending one, or that plus one
     * for the issue about to be made
     * @return whether a cancel was made or is kept for the issue
     */
    public synchronized boolean cancel(Pointer queue, long which)
    {
        // Freed, or its free waits for the completion being delivered right now: nothing to cancel, ever.
        if (memory == null || queue == null || freeOnCompletion)
            return false;
        if (which == issue + 1 && !pending)
        {
            cancelIssue = which; // applied when that issue's call returns pending
            return true;
        }
        if (which != issue || !pending)
            return false;
        if (inCall)
        {
            cancelIssue = which;
            return true;
        }
        return Kernel32.CancelIoEx(queue, memory) != 0;
    }

    /**
     * Called once per issued operation, on a completion-port thread (or the issuing thread when the
     * call failed synchronously). Must not block. It may issue the op again.
     *
     * @param error the Win32 error (NO_ERROR on success)
     * @param bytes the bytes transferred
     */
    protected abstract void completed(int error, int bytes);

    final void complete(int error, int bytes)
    {
        synchronized (this)
        {
            pending = false;
            completing = true;
        }
        try
        {
            completed(error, bytes);
        }
        finally
        {
            synchronized (this)
            {
                completing = false;
                if (freeOnCompletion && !pending)
                    release();
            }
        }
    }

    /**
     * Frees the native block now, or once the pending operation has completed.
     */
    public synchronized void free()
    {
        if (pending || completing)
        {
            freeOnCompletion = true;
            return;
        }
        release();
    }

    private void release()
    {
        if (memory != null)
        {
            memory.close();
            memory = null;
            view = null;
        }
    }

    /** Ops still pending when their port closed: the kernel may still write into them, so they are never freed. */
    private static final java.util.Queue<NativeOp> ABANDONED = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * Keeps an op that never completed reachable for the life of the process, so no Cleaner frees the
     * memory the kernel may still write into.
     */
    static void abandon(NativeOp op)
    {
        ABANDONED.add(op);
    }

    /**
     * @return how many ops were abandoned pending (for tests and dumps)
     */
    public static int abandonedCount()
    {
        return ABANDONED.size();
    }

    synchronized boolean isFreed()
    {
        return memory == null;
    }
}
