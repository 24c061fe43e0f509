package io.github.jettyhttpsys.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.github.jettyhttpsys.nativeapi.Layout;

/**
 * One overlapped operation: a native block holding its OVERLAPPED (offset 0), a ULONG for the
 * byte count of synchronous results (offset 32) and the operation's own payload (from
 * {@link #PAYLOAD}). Ownership: the op owns its block from the native call until its completion
 * packet is dequeued; it is freed only by {@link #free()}, which refuses while the op is pending,
 * and defers to the completion when asked while pending (also on shutdown).
 */
public abstract class NativeOp
{
    /** Offset of the payload in the block. */
    public static final int PAYLOAD = 40;

    private Memory memory;       // owned; freed in free() when not pending
    private ByteBuffer view;
    private boolean pending;          // guarded by this
    private boolean completing;       // guarded by this
    private boolean freeOnCompletion; // guarded by this

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
        return memory.share(32);
    }

    public int syncBytes()
    {
        return view.getInt(32);
    }

    public Pointer payload()
    {
        return memory.share(PAYLOAD);
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

    synchronized void markPending()
    {
        if (memory == null)
            throw new IllegalStateException("freed");
        view.putLong(Layout.OVERLAPPED_INTERNAL, 0);
        view.putLong(Layout.OVERLAPPED_INTERNAL_HIGH, 0);
        view.putInt(32, 0);
        pending = true;
    }

    synchronized void markDone()
    {
        pending = false;
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

    synchronized boolean isFreed()
    {
        return memory == null;
    }
}
