package io.github.jettyhttpsys;

import java.util.ArrayList;
import java.util.List;
import javax.security.auth.Subject;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.security.AuthenticationState;
import org.eclipse.jetty.security.IdentityService;
import org.eclipse.jetty.security.LoginService;
import org.eclipse.jetty.security.UserIdentity;
import org.eclipse.jetty.security.authentication.LoginAuthenticator;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's side of Windows authentication done by HTTP.sys: the user the kernel authenticated
 * ({@link WindowsIdentity}) becomes Jetty's authenticated user — principal {@code DOMAIN\\user}, Windows
 * groups as roles, {@code getAuthType()} the scheme — so {@code getUserPrincipal()},
 * {@code isUserInRole("DOMAIN\\Group")}, {@code @ServletSecurity} and {@code <security-constraint>} work.
 * A request without one gets a 401 naming the schemes the connector enabled, which HTTP.sys completes
 * (realm, order) and whose handshake it runs itself (F-134, F-135). No LoginService: Windows checked the
 * credentials. Selected by {@code <auth-method>WINDOWS</auth-method>} (or NEGOTIATE/SPNEGO when an
 * {@link HttpSysConnector} of the server has Negotiate or Kerberos on), through
 * {@link HttpSysAuthenticatorFactory}, or set on a {@code SecurityHandler} directly.
 */
public class HttpSysAuthenticator extends LoginAuthenticator
{
    /** The {@code <auth-method>} that selects this authenticator. */
    public static final String AUTH_METHOD = "WINDOWS";

    private final String _type;

    public HttpSysAuthenticator()
    {
        this(AUTH_METHOD);
    }

    HttpSysAuthenticator(String type)
    {
        _type = type;
    }

    /**
     * No LoginService is needed (Windows checked the credentials): without one, an own one stands in, so
     * Jetty's deferred authentication gives the user on unconstrained paths too.
     */
    @Override
    public void setConfiguration(Configuration configuration)
    {
        _identityService = configuration.getIdentityService();
        if (_identityService == null)
            throw new IllegalStateException("No IdentityService for " + this);
        _loginService = configuration.getLoginService() != null ? configuration.getLoginService() : new WindowsLoginService(_identityService);
    }

    @Override
    public String getAuthenticationType()
    {
        return _type;
    }

    @Override
    public AuthenticationState validateRequest(Request request, Response response, Callback callback)
    {
        WindowsIdentity identity = (WindowsIdentity)request.getAttribute(WindowsIdentity.ATTRIBUTE);
        if (identity != null)
        {
            List<String> roles = new ArrayList<>(identity.getGroups());
            Subject subject = new Subject();
            subject.getPrincipals().add(identity);
            UserIdentity user = _identityService.newUserIdentity(subject, identity, roles.toArray(new String[0]));
            return new LoginAuthenticator.UserAuthenticationSucceeded(identity.getAuthenticationScheme(), user);
        }
        if (response.isCommitted())
            return null;
        List<String> schemes = schemesOf(request);
        if (schemes.isEmpty())
        {
            // Nothing to challenge with: the connector serving this request has no Windows authentication on.
            Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403, "Windows authentication is not enabled on this connector");
            return AuthenticationState.SEND_FAILURE;
        }
        for (String scheme : schemes)
            response.getHeaders().add(HttpHeader.WWW_AUTHENTICATE, scheme); // HTTP.sys builds each value (F-134)
        Response.writeError(request, response, callback, HttpStatus.UNAUTHORIZED_401);
        return AuthenticationState.CHALLENGE;
    }

    private static List<String> schemesOf(Request request)
    {
        Connector connector = request.getConnectionMetaData().getConnector();
        if (connector instanceof HttpSysConnector httpSys)
            return httpSys.getAuthenticationSchemes();
        return List.of();
    }

    @Override
    public String toString()
    {
        return "HttpSysAuthenticator[" + _type + "]";
    }

    /** Logs nobody in by password: the users come from HTTP.sys, already authenticated. */
    static final class WindowsLoginService implements LoginService
    {
        private IdentityService _identity;

        WindowsLoginService(IdentityService identity)
        {
            _identity = identity;
        }

        @Override
        public String getName()
        {
            return "HTTP.sys";
        }

        @Override
        public UserIdentity login(String username, Object credentials, Request request, java.util.function.Function<Boolean, org.eclipse.jetty.server.Session> getOrCreateSession)
        {
            return null;
        }

        @Override
        public boolean validate(UserIdentity user)
        {
            return user != null && user.getUserPrincipal() instanceof WindowsIdentity;
        }

        @Override
        public IdentityService getIdentityService()
        {
            return _identity;
        }

        @Override
        public void setIdentityService(IdentityService service)
        {
            _identity = service;
        }

        @Override
        public void logout(UserIdentity user)
        {
        }
    }
}
