package io.github.jettyhttpsys.sample;

import java.io.IOException;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Behind a security constraint (web.xml): who the container says the user is. Under jetty-httpsys with
 * Windows authentication on, HTTP.sys authenticated them and their Windows groups are roles.
 */
public class WhoAmIServlet extends HttpServlet
{
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
    {
        resp.setContentType("text/plain;charset=utf-8");
        resp.getWriter().print(req.getUserPrincipal().getName() + "|" + req.getAuthType() + "|staff=" + req.isUserInRole("EMU\\Staff"));
    }
}
