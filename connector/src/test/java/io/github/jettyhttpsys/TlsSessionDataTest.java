package io.github.jettyhttpsys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The one table from HTTP.sys's schannel protocol bits and CryptoAPI ALG_IDs (F-129, F-130) to the
 * JSSE names Jetty and servlets expect.
 */
public class TlsSessionDataTest
{
    @Test
    public void protocolBitsNameTheProtocol()
    {
        assertEquals("TLSv1.3", TlsSessionData.protocolName(0x1000));
        assertEquals("TLSv1.3", TlsSessionData.protocolName(0x3000));
        assertEquals("TLSv1.2", TlsSessionData.protocolName(0x400));
        assertEquals("TLSv1.2", TlsSessionData.protocolName(0xC00));
        assertEquals("TLSv1.1", TlsSessionData.protocolName(0x100));
        assertEquals("TLSv1", TlsSessionData.protocolName(0x40));
        assertEquals("SSLv3", TlsSessionData.protocolName(0x10));
        assertNull(TlsSessionData.protocolName(0));
    }

    @Test
    public void algIdsNameTheCipherSuite()
    {
        // TLS 1.3: the cipher decides (ChaCha20 has no ALG_ID)
        assertEquals("TLS_AES_128_GCM_SHA256", TlsSessionData.cipherSuite(0x1000, 0x660E, 0x800C, 0, 0));
        assertEquals("TLS_AES_256_GCM_SHA384", TlsSessionData.cipherSuite(0x1000, 0x6610, 0x800D, 0, 0));
        assertEquals("TLS_CHACHA20_POLY1305_SHA256", TlsSessionData.cipherSuite(0x1000, 0, 0, 0, 0));
        // TLS 1.2 AEAD: hash strength 0
        assertEquals("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", TlsSessionData.cipherSuite(0x400, 0x6610, 0x800D, 0, 0xAE06));
        assertEquals("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", TlsSessionData.cipherSuite(0x400, 0x660E, 0x800C, 0, 0xAE06));
        assertEquals("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", TlsSessionData.cipherSuite(0x400, 0x660E, 0x800C, 0, 0xAA02));
        // CBC: the HMAC's strength
        assertEquals("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", TlsSessionData.cipherSuite(0x400, 0x660E, 0x8004, 160, 0xAE06));
        assertEquals("TLS_RSA_WITH_AES_256_CBC_SHA256", TlsSessionData.cipherSuite(0x400, 0x6610, 0x800C, 256, 0xA400));
        assertEquals("TLS_RSA_WITH_3DES_EDE_CBC_SHA", TlsSessionData.cipherSuite(0x40, 0x6603, 0x8004, 160, 0xA400));
        assertNull(TlsSessionData.cipherSuite(0x400, 0x1234, 0x800C, 0, 0xAE06));
    }
}
