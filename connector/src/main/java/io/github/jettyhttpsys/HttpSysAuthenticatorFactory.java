package io.github.jettyhttpsys;

import org.eclipse.jetty.security.Authenticator;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Context;
import org.eclipse.jetty.server.Server;

/**
 * Found by Jetty's SecurityHandler through the ServiceLoader: gives {@link HttpSysAuthenticator} for the
 * {@code <auth-method>} {@code WINDOWS}, and for {@code NEGOTIATE} or {@code SPNEGO} when one of the
 * server's {@link HttpSysConnector}s has Negotiate or Kerberos enabled (HTTP.sys then does SPNEGO in the
 * kernel); every other method is left to Jetty's own factory.
 */
public class HttpSysAuthenticatorFactory implements Authenticator.Factory
{
    @Override
    public Authenticator getAuthenticator(Server server, Context context, Authenticator.Configuration configuration)
    {
        String method = configuration.getAuthenticationType();
        if (method == null)
            return null;
        if (HttpSysAuthenticator.AUTH_METHOD.equalsIgnoreCase(method))
            return new HttpSysAuthenticator(method);
        if ((Authenticator.NEGOTIATE_AUTH.equalsIgnoreCase(method) || Authenticator.SPNEGO_AUTH.equalsIgnoreCase(method)) && negotiateOn(server))
            return new HttpSysAuthenticator(method);
        return null;
    }

    private static boolean negotiateOn(Server server)
    {
        if (server == null)
            return false;
        for (Connector c : server.getConnectors())
        {
            if (c instanceof HttpSysConnector h)
            {
                for (String s : h.getAuthenticationSchemes())
                    if (s.equalsIgnoreCase("Negotiate") || s.equalsIgnoreCase("Kerberos"))
                        return true;
            }
        }
        return false;
    }
}
