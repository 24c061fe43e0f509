package io.github.jettyhttpsys.sample;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A WAR's view of client disconnects: {@code /poll} parks a long poll with {@link AsyncContext}
 * (no timeout, no I/O pending); {@code /errors} reports the {@code AsyncListener.onError} events
 * seen so far; {@code /parked} counts the polls waiting; {@code /hello} answers at once.
 */
public class LongPollServlet extends HttpServlet
{
    private static final List<String> ERRORS = new CopyOnWriteArrayList<>();
    private static final AtomicInteger PARKED = new AtomicInteger();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
    {
        String path = req.getServletPath();
        resp.setContentType("text/plain;charset=utf-8");
        if ("/errors".equals(path))
        {
            resp.getWriter().write(ERRORS.size() + "\n" + String.join("\n", ERRORS));
            return;
        }
        if ("/parked".equals(path))
        {
            resp.getWriter().write(String.valueOf(PARKED.get()));
            return;
        }
        if ("/hello".equals(path))
        {
            resp.getWriter().write("hello from " + req.getServletContext().getContextPath() + " on " + req.getServerName() + ":" + req.getServerPort());
            return;
        }
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        async.addListener(new AsyncListener()
        {
            @Override
            public void onComplete(AsyncEvent event)
            {
            }

            @Override
            public void onTimeout(AsyncEvent event)
            {
            }

            @Override
            public void onError(AsyncEvent event)
            {
                Throwable x = event.getThrowable();
                ERRORS.add("onError " + x.getClass().getName() + ": " + x.getMessage());
                PARKED.decrementAndGet();
                event.getAsyncContext().complete();
            }

            @Override
            public void onStartAsync(AsyncEvent event)
            {
            }
        });
        PARKED.incrementAndGet();
    }
}
