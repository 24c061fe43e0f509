package io.github.jettyhttpsys.engine;

/**
 * A {@link NativeOp} whose completion is handed to a {@link Completion} set before each issue:
 * body reads (the payload is the read buffer) and disconnect waits (no payload).
 */
public final class SimpleOp extends NativeOp
{
    private volatile Completion _completion;
    private volatile Object _target; // memory outside the block that the pending call writes into

    public SimpleOp(int payloadSize)
    {
        super(payloadSize);
    }

    public void onCompletion(Completion completion)
    {
        _completion = completion;
    }

    /**
     * Keeps the memory a pending call writes into (a pooled buffer the read fills in place) reachable as
     * long as the op, also when the op is abandoned at shutdown with its call still pending.
     */
    public void target(Object target)
    {
        _target = target;
    }

    public Object target()
    {
        return _target;
    }

    @Override
    protected void completed(int error, int bytes)
    {
        Completion c = _completion;
        if (c != null)
            c.completed(error, bytes);
    }

    @Override
    public String toString()
    {
        return "SimpleOp@" + Long.toHexString(address());
    }
}
