package io.tcptrace.kernel;

import io.tcptrace.bcc.BccException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The BPF C sources shipped in the jar (bpf/*.bpf.c, copied there by the build), read as text. */
public final class BpfSources {
    private BpfSources() {
    }

    /** The text of bpf/{@code file}; one line naming the fix when the build left it out. */
    public static String fromJar(String file) {
        try (InputStream in = BpfSources.class.getResourceAsStream("/bpf/" + file)) {
            if (in == null) {
                throw new BccException("bpf/" + file + " is missing from the build: rebuild with ./tcptrace build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BccException("cannot read bpf/" + file + " from the jar: " + e.getMessage());
        }
    }
}
