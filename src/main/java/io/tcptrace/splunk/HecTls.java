package io.tcptrace.splunk;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.TrustManagersParameters;
import org.apache.hc.client5.http.ssl.DefaultHostnameVerifier;

/**
 * TLS for the HEC connection, given to camel-http as both {@code sslContextParameters} and
 * {@code x509HostnameVerifier}. Default: the JVM's trusted CAs and full hostname verification.
 * {@code caFile} trusts a PEM bundle instead (a private Splunk CA); {@code insecure} trusts any
 * certificate and any name, for labs only, with a WARN at start (from {@link HecSender#start}).
 */
public class HecTls extends SSLContextParameters implements HostnameVerifier {
    private final HostnameVerifier verifier = new DefaultHostnameVerifier();
    private String caFile;
    private boolean insecure;

    /** The bean's init method: builds the trust manager from the settings. */
    public void init() {
        TrustManagersParameters trust = new TrustManagersParameters();
        if (insecure) {
            trust.setTrustManager(new TrustAll());
            setTrustManagers(trust);
        } else if (caFile != null && !caFile.isBlank()) {
            trust.setTrustManager(fromPem(Path.of(caFile)));
            setTrustManagers(trust);
        }
    }

    @Override
    public boolean verify(String host, SSLSession session) {
        return insecure || verifier.verify(host, session);
    }

    private static X509TrustManager fromPem(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new IllegalStateException("splunk.ca-file " + file + " holds no PEM certificate");
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("no X.509 trust manager available");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read splunk.ca-file " + file + " (" + e.getMessage()
                    + "): give a PEM file of CA certificates");
        }
    }

    /** Accepts every certificate: only with splunk.tls-insecure=true. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // lab mode: no verification, as the WARN at start says
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // lab mode: no verification, as the WARN at start says
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    public void setCaFile(String caFile) {
        this.caFile = caFile;
    }

    public boolean isInsecure() {
        return insecure;
    }

    public void setInsecure(boolean insecure) {
        this.insecure = insecure;
    }
}
