package io.github.jettyhttpsys.examples;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;

/**
 * The demo's chat: a jakarta.websocket endpoint; every message goes to every open socket, and every
 * socket that ends (a closed tab: HTTP.sys reports the connection gone) is announced.
 */
@ServerEndpoint("/chat")
public class ChatEndpoint
{
    private static final Set<Session> SESSIONS = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger IDS = new AtomicInteger();
    private final int _id = IDS.incrementAndGet();

    @OnOpen
    public void onOpen(Session session)
    {
        SESSIONS.add(session);
        broadcast("chatter #" + _id + " joined (" + SESSIONS.size() + " here)");
    }

    @OnMessage
    public void onMessage(String text)
    {
        broadcast("#" + _id + ": " + text);
    }

    @OnClose
    public void onClose(Session session, CloseReason reason)
    {
        SESSIONS.remove(session);
        broadcast("chatter #" + _id + " left (" + reason.getCloseCode().getCode() + ")");
    }

    @OnError
    public void onError(Session session, Throwable cause)
    {
        SESSIONS.remove(session);
    }

    static void broadcast(String text)
    {
        for (Session s : SESSIONS)
        {
            try
            {
                s.getBasicRemote().sendText(text);
            }
            catch (IOException | IllegalStateException x)
            {
                SESSIONS.remove(s);
            }
        }
    }
}
