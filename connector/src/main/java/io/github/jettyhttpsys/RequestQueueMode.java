package io.github.jettyhttpsys;

/**
 * How {@link HttpSysConnector} gets its HTTP.sys request queue.
 */
public enum RequestQueueMode
{
    /** Create the queue (named or not), its server session, URL group and prefixes. */
    CREATE,
    /** Open an existing named queue that another process created and configured; prefixes are ignored. */
    ATTACH
}
