package io.tcptrace.splunk;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away self-signed certificate for 127.0.0.1 and localhost, made by the JDK's own keytool so tests need
 * no checked-in key material and no extra library. The key store (private key) is for the server; the trust
 * store (certificate only) is for clients. Both are PKCS12 with the same random password.
 */
public final class SelfSignedCert implements AutoCloseable {
    private static final String ALIAS = "hec";

    private final Path dir;
    private final Path keyStore;
    private final Path trustStore;
    private final String password;

    private SelfSignedCert(Path dir) {
        this.dir = dir;
        this.keyStore = dir.resolve("hec-server.p12");
        this.trustStore = dir.resolve("hec-trust.p12");
        this.password = UUID.randomUUID().toString();
    }

    /** Generates a fresh key pair and certificate in a new temporary directory. */
    public static SelfSignedCert generate() throws IOException {
        SelfSignedCert cert = new SelfSignedCert(Files.createTempDirectory("strict-hec-tls"));
        try {
            Path cer = cert.dir.resolve("hec.cer");
            cert.keytool("-genkeypair", "-alias", ALIAS, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                    "-storetype", "PKCS12", "-keystore", cert.keyStore.toString(),
                    "-storepass", cert.password, "-keypass", cert.password);
            cert.keytool("-exportcert", "-alias", ALIAS, "-keystore", cert.keyStore.toString(),
                    "-storepass", cert.password, "-file", cer.toString());
            cert.keytool("-importcert", "-noprompt", "-alias", ALIAS, "-file", cer.toString(),
                    "-storetype", "PKCS12", "-keystore", cert.trustStore.toString(), "-storepass", cert.password);
            return cert;
        } catch (IOException | RuntimeException e) {
            cert.close();
            throw e;
        }
    }

    /** The server certificate (DER), which a client can trust as its CA file. */
    public Path certificatePath() {
        return dir.resolve("hec.cer");
    }

    public Path keyStorePath() {
        return keyStore;
    }

    public Path trustStorePath() {
        return trustStore;
    }

    /** Password of both stores (and of the private key). */
    public String password() {
        return password;
    }

    /** For the server: presents the certificate. */
    public SSLContext serverContext() throws GeneralSecurityException, IOException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(keyStore), password.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** For clients: trusts only this certificate. */
    public SSLContext clientContext() throws GeneralSecurityException, IOException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(trustStore));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private KeyStore load(Path path) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            ks.load(in, password.toCharArray());
        }
        return ks;
    }

    private void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish in 60 s");
            }
            if (process.exitValue() != 0) {
                // The output may echo the command line, not the password: keytool does not print -storepass.
                throw new IOException("keytool " + args[0] + " failed (" + process.exitValue() + "): " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while running keytool", e);
        }
    }

    /** Deletes the stores and their directory. */
    @Override
    public void close() throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
