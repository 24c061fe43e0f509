package io.github.jettyhttpsys;

/**
 * How {@link HttpSysConnector} gets its HTTP.sys request queue.
 */
public enum RequestQueueMode
{
    /** Create the queue (named or not), its server session, URL group and prefixes. */
    CREATE,
    /** Open an existing named queue that another process created and configured; prefixes are ignored. */
    ATTACH,
    /**
     * Create the named queue, or open it when another process created it first (then its configuration,
     * prefixes and limits are the creator's): several processes serving one queue, whichever starts first.
     */
    CREATE_OR_ATTACH
}
