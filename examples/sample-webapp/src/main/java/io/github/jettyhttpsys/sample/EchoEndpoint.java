package io.github.jettyhttpsys.sample;

import jakarta.websocket.OnMessage;
import jakarta.websocket.server.ServerEndpoint;

/** A jakarta.websocket endpoint the container finds in the WAR: it echoes with a prefix. */
@ServerEndpoint("/ws")
public class EchoEndpoint
{
    @OnMessage
    public String onMessage(String message)
    {
        return "war:" + message;
    }
}
