package io.tcptrace.splunk.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The Splunk AppInspect checks the app was found to fail or to be at risk of, each by its name,
 * run on the package the build made (target/tcptrace-splunk-app-VERSION.tgz) as AppInspect would
 * run them on an upload. What each check tests is from splunk-appinspect's check sources
 * (check_app_configuration_file.py, check_application_content.py, check_packaging_standards.py).
 */
class AppInspectChecksTest {
    private static final String SEMVER = "(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)"
            + "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
            + "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?";

    private final Map<String, byte[]> pkg = packaged();

    /** Fails when [install] is_configured is true: it says a setup already ran, which this app has none of. */
    @Test
    void checkThatSetupHasNotBeenPerformed() throws Exception {
        Map<String, String> install = appConf().stanzas().getOrDefault("install", Map.of());
        String configured = install.getOrDefault("is_configured", "false");
        assertFalse(configured.matches("(?i)1|t|true|y|yes"), "is_configured = " + configured);
    }

    /** static/appIcon.png must exist, be a PNG, and be at most 36x36 (check_app_icon_is_png, _dimensions). */
    @Test
    void checkAppIconIsPngAndItsDimensions() throws Exception {
        icon("static/appIcon.png", 36);
    }

    /** static/appIcon_2x.png: a PNG of at most 72x72 (check_app_icon_2x_is_png, _dimensions). */
    @Test
    void checkAppIcon2xIsPngAndItsDimensions() throws Exception {
        icon("static/appIcon_2x.png", 72);
    }

    /** [package] id: a valid name, equal to the package's folder and to [id] name (check_for_valid_package_id). */
    @Test
    void checkForValidPackageId() throws Exception {
        SplunkConf app = appConf();
        String id = app.stanza("package").get("id");
        assertNotNull(id);
        assertTrue(id.matches("[a-zA-Z_.-][a-zA-Z0-9_.-]*"), id);
        assertFalse(id.matches("(?i).*(\\.|\\.tar|\\.tar\\.gz|\\.tgz|\\.spl)$|CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9]"), id);
        assertEquals(id, app.stanza("id").get("name"));
        assertEquals(SplunkAppTest.APP_ID, id, "the package's one top folder");
    }

    /** [id] version and [launcher] version: semantic versions, the same (check_version_is_valid_semver). */
    @Test
    void checkVersionIsValidSemver() throws Exception {
        SplunkConf app = appConf();
        String id = app.stanza("id").get("version");
        assertTrue(id != null && id.matches(SEMVER), "[id] version " + id);
        assertEquals(id, app.stanza("launcher").get("version"));
    }

    /** [ui] label: 5 to 80 characters when the app is visible (check_for_valid_ui_label). */
    @Test
    void checkForValidUiLabel() throws Exception {
        Map<String, String> ui = appConf().stanza("ui");
        if ("true".equals(ui.get("is_visible")) || "1".equals(ui.get("is_visible"))) {
            String label = ui.get("label");
            assertTrue(label != null && label.length() >= 5 && label.length() <= 80, "label " + label);
        }
    }

    /**
     * props.conf sets no setting the spec calls internal ("NOT YOURS. DO NOT SET": pulldown_type),
     * and no sourcetype of events is filed under Metrics, which is for metric indexes.
     */
    @Test
    void propsSetNoInternalSettingAndNoMetricsCategory() throws Exception {
        SplunkConf props = conf("default/props.conf");
        props.stanzas().forEach((name, settings) -> {
            assertFalse(settings.containsKey("pulldown_type"), name);
            assertFalse("Metrics".equals(settings.get("category")), name + " holds events, not metrics");
        });
    }

    private void icon(String name, int max) throws Exception {
        byte[] png = pkg.get(name);
        assertNotNull(png, name + " is missing from the package");
        assertTrue(png.length > 8 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', name + " is not a PNG");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertNotNull(image, name + " does not decode");
        assertTrue(image.getWidth() <= max && image.getHeight() <= max, name + " is " + image.getWidth() + "x"
                + image.getHeight() + ", at most " + max + "x" + max);
    }

    private SplunkConf appConf() throws Exception {
        return conf("default/app.conf");
    }

    /** A conf file of the package, parsed strictly. */
    private SplunkConf conf(String name) throws Exception {
        byte[] content = pkg.get(name);
        assertNotNull(content, name + " is missing from the package");
        Path tmp = Files.createTempFile("appinspect", ".conf");
        try {
            Files.write(tmp, content);
            return SplunkConf.read(tmp);
        } finally {
            Files.delete(tmp);
        }
    }

    private static Map<String, byte[]> packaged() {
        String version = System.getProperty("tcptrace.version");
        assertNotNull(version, "run through Maven (tcptrace.version)");
        Path tgz = SplunkAppTest.HOME.resolve("target/tcptrace-splunk-app-" + version + ".tgz");
        Map<String, byte[]> files = new HashMap<>();
        try (InputStream in = Files.newInputStream(tgz)) {
            for (Tar.Entry e : Tar.read(in)) {
                if (!e.directory()) {
                    files.put(e.name().substring(SplunkAppTest.APP_ID.length() + 1), e.content());
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(tgz + " not readable: run mvn package or ./tcptrace build", e);
        }
        return files;
    }
}
