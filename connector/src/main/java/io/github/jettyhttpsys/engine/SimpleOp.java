package io.github.jettyhttpsys.engine;

/**
 * A {@link NativeOp} whose completion is handed to a {@link Completion} set before each issue:
 * body reads (the payload is the read buffer) and disconnect waits (no payload).
 */
public final class SimpleOp extends NativeOp
{
    private volatile Completion _completion;

    public SimpleOp(int payloadSize)
    {
        super(payloadSize);
    }

    public void onCompletion(Completion completion)
    {
        _completion = completion;
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
