package io.github.jettyhttpsys.engine;

/**
 * What to do when an operation completes; called once, on a completion-port thread or on the
 * issuing thread for a synchronous failure. Must not block.
 */
@FunctionalInterface
public interface Completion
{
    /**
     * @param error the Win32 error, NO_ERROR on success
     * @param bytes the bytes transferred
     */
    void completed(int error, int bytes);
}
