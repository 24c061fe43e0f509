package io.github.jettyhttpsys;

/**
 * Where a request's client certificate comes from, as ASP.NET Core's {@code ClientCertificateMethod}.
 * HTTP.sys does TLS in the kernel, so the application can only take the certificate the handshake
 * negotiated (the binding's {@code clientcertnegotiation=enable}, F-122) or ask HTTP.sys to
 * renegotiate for one ({@code HttpReceiveClientCertificate}, F-123…F-126).
 */
public enum ClientCertificateMode
{
    /** No client certificate is given to Jetty, even one negotiated at the handshake. */
    NONE,
    /** The certificate the handshake negotiated, if the binding asked for one (default; no extra round trip). */
    NEGOTIATED,
    /**
     * As {@link #NEGOTIATED}, and when the handshake gave none, HTTP.sys is asked to renegotiate before
     * the first request of the connection is handled. This costs a TLS round trip per connection;
     * TLS 1.3 and HTTP/2 cannot renegotiate (those connections get none), and a client that sends a
     * large body while the server renegotiates can deadlock (F-126).
     */
    RENEGOTIATE
}
