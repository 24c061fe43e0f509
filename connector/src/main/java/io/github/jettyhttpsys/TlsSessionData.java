package io.github.jettyhttpsys;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLSession;

import io.github.jettyhttpsys.nativeapi.HttpRequestView;
import org.eclipse.jetty.io.EndPoint;

/**
 * The TLS data of a connection whose TLS HTTP.sys terminated in the kernel, as Jetty's
 * {@link EndPoint.SslSessionData}: there is no {@link SSLSession} in the process, so the protocol,
 * the cipher suite and the key size come from the request's {@code HTTP_SSL_PROTOCOL_INFO} (schannel
 * protocol bits and CryptoAPI ALG_IDs, F-128…F-130) and {@code HTTP_SSL_INFO} (F-121), the peer
 * certificate from the client certificate negotiated at the handshake (F-122).
 */
final class TlsSessionData implements EndPoint.SslSessionData
{
    // schannel SP_PROT_* (server and client bits, F-129)
    private static final int SP_PROT_TLS1_3 = 0x1000 | 0x2000;
    private static final int SP_PROT_TLS1_2 = 0x400 | 0x800;
    private static final int SP_PROT_TLS1_1 = 0x100 | 0x200;
    private static final int SP_PROT_TLS1_0 = 0x40 | 0x80;
    private static final int SP_PROT_SSL3 = 0x10 | 0x20;
    // CryptoAPI ALG_IDs (F-130)
    private static final int CALG_AES_128 = 0x660E;
    private static final int CALG_AES_256 = 0x6610;
    private static final int CALG_3DES = 0x6603;
    private static final int CALG_RC4 = 0x6801;
    private static final int CALG_SHA1 = 0x8004;
    private static final int CALG_SHA_256 = 0x800C;
    private static final int CALG_SHA_384 = 0x800D;
    private static final int CALG_RSA_KEYX = 0xA400;
    private static final int CALG_DH_EPHEM = 0xAA02;
    private static final int CALG_ECDH = 0xAA05;
    private static final int CALG_ECDH_EPHEM = 0xAE06;

    private final String _protocol;
    private final String _cipherSuite;
    private final int _keySize;
    private final X509Certificate[] _peerCertificates;

    private TlsSessionData(String protocol, String cipherSuite, int keySize, X509Certificate[] peerCertificates)
    {
        _protocol = protocol;
        _cipherSuite = cipherSuite;
        _keySize = keySize;
        _peerCertificates = peerCertificates;
    }

    /**
     * @param view a request received on a TLS connection
     * @return its connection's TLS data, or null for plain HTTP
     */
    static TlsSessionData from(HttpRequestView view)
    {
        if (!view.isSecure())
            return null;
        int[] info = view.sslProtocolInfo();
        String protocol = info == null ? null : protocolName(info[0]);
        String suite = info == null ? null : cipherSuite(info[0], info[1], info[3], info[4], info[5]);
        int keySize = info != null && info[2] > 0 ? info[2] : view.sslConnectionKeySize();
        return new TlsSessionData(protocol, suite, keySize, certificates(view.sslClientCertificate()));
    }

    /**
     * @param protocol SP_PROT_* bits
     * @return the JSSE protocol name, or null when unknown
     */
    static String protocolName(int protocol)
    {
        if ((protocol & SP_PROT_TLS1_3) != 0)
            return "TLSv1.3";
        if ((protocol & SP_PROT_TLS1_2) != 0)
            return "TLSv1.2";
        if ((protocol & SP_PROT_TLS1_1) != 0)
            return "TLSv1.1";
        if ((protocol & SP_PROT_TLS1_0) != 0)
            return "TLSv1";
        if ((protocol & SP_PROT_SSL3) != 0)
            return "SSLv3";
        return null;
    }

    /**
     * The IANA (JSSE) name of the cipher suite the ALG_IDs describe. ALG_IDs do not name the server key
     * type, so RSA is assumed (the usual certificate); an AEAD suite reports a hash strength of 0
     * (its hash is only the PRF's), a CBC suite the HMAC's strength.
     *
     * @return the name, or null when the combination is not one this table knows
     */
    static String cipherSuite(int protocol, int cipher, int hash, int hashStrength, int keyExchange)
    {
        if ((protocol & SP_PROT_TLS1_3) != 0)
        {
            return switch (cipher)
            {
                case CALG_AES_128 -> "TLS_AES_128_GCM_SHA256";
                case CALG_AES_256 -> "TLS_AES_256_GCM_SHA384";
                case 0 -> "TLS_CHACHA20_POLY1305_SHA256"; // no ALG_ID exists for ChaCha20
                default -> null;
            };
        }
        String kx = switch (keyExchange)
        {
            case CALG_ECDH_EPHEM, CALG_ECDH -> "ECDHE_RSA";
            case CALG_DH_EPHEM -> "DHE_RSA";
            case CALG_RSA_KEYX -> "RSA";
            default -> null;
        };
        String bulk = switch (cipher)
        {
            case CALG_AES_128 -> "AES_128";
            case CALG_AES_256 -> "AES_256";
            case CALG_3DES -> "3DES_EDE";
            case CALG_RC4 -> "RC4_128";
            default -> null;
        };
        String mac = switch (hash)
        {
            case CALG_SHA1 -> "SHA";
            case CALG_SHA_256 -> "SHA256";
            case CALG_SHA_384 -> "SHA384";
            default -> null;
        };
        if (kx == null || bulk == null || mac == null)
            return null;
        boolean aead = hashStrength == 0 && (cipher == CALG_AES_128 || cipher == CALG_AES_256) && hash != CALG_SHA1;
        String mode = aead ? "_GCM_" : cipher == CALG_RC4 ? "_" : "_CBC_";
        return "TLS_" + kx + "_WITH_" + bulk + mode + mac;
    }

    /**
     * @param der a client certificate HTTP.sys gave later (HttpReceiveClientCertificate), or null
     * @return this connection's data with that peer certificate
     */
    TlsSessionData withCertificate(byte[] der)
    {
        return new TlsSessionData(_protocol, _cipherSuite, _keySize, certificates(der));
    }

    private static X509Certificate[] certificates(byte[] der)
    {
        if (der == null)
            return null;
        try
        {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            return new X509Certificate[]{(X509Certificate)factory.generateCertificate(new ByteArrayInputStream(der))};
        }
        catch (CertificateException x)
        {
            return null;
        }
    }

    /**
     * @return the JSSE protocol name (TLSv1.2, TLSv1.3), or null when HTTP.sys gave none
     */
    String protocol()
    {
        return _protocol;
    }

    @Override
    public SSLSession sslSession()
    {
        return null; // the session lives in the kernel
    }

    @Override
    public String sslSessionId()
    {
        return null; // HTTP.sys does not expose it
    }

    @Override
    public String cipherSuite()
    {
        return _cipherSuite;
    }

    @Override
    public X509Certificate[] peerCertificates()
    {
        return _peerCertificates;
    }

    @Override
    public int keySize()
    {
        return _keySize;
    }

    @Override
    public String toString()
    {
        return "TlsSessionData{" + _protocol + "," + _cipherSuite + "," + _keySize + ",certs=" + (_peerCertificates == null ? 0 : _peerCertificates.length) + "}";
    }
}
