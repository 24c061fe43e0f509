# DO NOT EDIT - ships with jetty-httpsys; copy settings into start.d/httpsys.ini instead.

[description]
Serves requests from the Windows kernel HTTP stack, HTTP.sys (the HTTP Server API), through
jetty-httpsys: port sharing with IIS, TLS bound in the kernel (netsh http add sslcert), URL ACLs
instead of administrator rights, and client disconnects reported as they happen.

[tags]
connector
http
httpsys

[depend]
server

[lib]
lib/httpsys/*.jar

[xml]
etc/jetty-httpsys.xml

[ini-template]
# tag::documentation[]
## URL prefix(es) registered with HTTP.sys, comma separated (netsh http add urlacl for each)
# jetty.httpsys.urlPrefixes=http://+:8080/

## Connector name; contexts with virtual host @httpsys are served only by this connector
# jetty.httpsys.name=httpsys

## Request queue name (empty = unnamed) and mode: CREATE, ATTACH to a queue another process created,
## or CREATE_OR_ATTACH (create it unless it exists, then attach: whichever process starts first creates it)
# jetty.httpsys.requestQueueName=
# jetty.httpsys.requestQueueMode=CREATE
## Who may open the named queue (other processes, a controller), as SDDL, e.g. D:(A;;GA;;;BA); empty = HTTP.sys's default
# jetty.httpsys.requestQueueSecurityDescriptor=

## What HTTP.sys answers when the queue is full or nothing serves it: BASIC (reset), LIMITED (503), FULL (503 + reason)
# jetty.httpsys.503Verbosity=BASIC

## HttpServerQueueLengthProperty: requests waiting in the kernel queue (10-65535)
# jetty.httpsys.requestQueueLength=1000

## HttpReceiveHttpRequest calls kept outstanding; 0 = automatic (2 x cores, at least 2)
# jetty.httpsys.receiveConcurrency=0

## Threads that drain the completion port (0: half the cores, at least 2), and whether a request runs on the
## completion thread that received it while another stays free (else it goes to Jetty's thread pool)
# jetty.httpsys.completionThreads=0
# jetty.httpsys.preferInlineScheduling=true

## HttpServerQosProperty connection limit, -1 = unlimited
# jetty.httpsys.maxConnections=-1

## Largest request body in bytes (larger ones get 413), -1 = unlimited
# jetty.httpsys.maxRequestBodySize=-1

## HTTP_TIMEOUT_LIMIT_INFO (seconds 0-65535; MinSendRate in bytes per second). -1 = not set: the
## machine-wide values (netsh http show timeout; HTTP.sys's 120 s and 150 B/s) stay in force
# jetty.httpsys.entityBodyTimeoutSeconds=-1
# jetty.httpsys.drainEntityBodyTimeoutSeconds=-1
# jetty.httpsys.requestQueueTimeoutSeconds=-1
# jetty.httpsys.idleConnectionTimeoutSeconds=-1
# jetty.httpsys.headerWaitTimeoutSeconds=-1
# jetty.httpsys.minSendRateBytesPerSecond=-1

## Tell Jetty of a disconnect at once, also during a request's first dispatch (default: when the dispatch returns)
# jetty.httpsys.eagerDisconnectWait=false

## HTTP.sys's kernel response cache: a GET response that says Cache-Control: public with max-age, s-maxage or
## Expires (and no Set-Cookie, Vary or Pragma) is answered by HTTP.sys itself from then on, without the webapp
# jetty.httpsys.responseCaching=true

## Client certificates over https: NONE, NEGOTIATED (the handshake's, netsh clientcertnegotiation=enable)
## or RENEGOTIATE (HTTP.sys asks the client before a connection's first request; not on TLS 1.3)
# jetty.httpsys.clientCertificateMode=NEGOTIATED

## Windows authentication done by HTTP.sys: Negotiate, Kerberos, NTLM, Basic (comma separated; empty = off).
## Webapps select it with <auth-method>WINDOWS</auth-method> (or NEGOTIATE); groups are roles.
# jetty.httpsys.authenticationSchemes=
## Let anonymous requests reach the webapps (which challenge where their constraints say), or challenge all
# jetty.httpsys.allowAnonymous=true
## Credentials cached per keep-alive connection (HTTP.sys: NTLM on, Kerberos off)
# jetty.httpsys.ntlmCredentialCaching=true
# jetty.httpsys.kerberosCredentialCaching=false
## Realm HTTP.sys names in a Basic challenge
# jetty.httpsys.basicRealm=

## Jetty's idle timeout of a request with no I/O, in milliseconds
# jetty.httpsys.idleTimeout=30000
# end::documentation[]
