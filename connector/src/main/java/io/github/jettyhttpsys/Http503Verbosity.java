package io.github.jettyhttpsys;

/**
 * What HTTP.sys answers itself when it cannot give a request to the application: the queue is full,
 * or no process serves the URL group (HttpServer503VerbosityProperty, F-94). The order is
 * HTTP_503_RESPONSE_VERBOSITY's.
 */
public enum Http503Verbosity
{
    /** The connection is reset (HTTP.sys's default). */
    BASIC,
    /** A 503 Service Unavailable. */
    LIMITED,
    /** A 503 with the reason in its body. */
    FULL
}
