package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.apache.hc.core5.http.HttpEntity;
import org.junit.jupiter.api.Test;

class HecBodyTest {
    @Test
    void gzipBodyIsTheNewlineJoinedRecordsAndJavaReadsIt() throws Exception {
        Random random = new Random(7);
        List<byte[]> batch = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            // mixed sizes, some larger than the deflate buffer, some incompressible
            byte[] r = new byte[i % 97 == 0 ? 40_000 : 20 + random.nextInt(900)];
            for (int k = 0; k < r.length; k++) {
                r[k] = (byte) (i % 5 == 0 ? 32 + random.nextInt(90) : 'a' + k % 7);
            }
            batch.add(r);
        }
        byte[] plain = HecBody.plain(batch);
        byte[] gz = HecBody.gzip(batch);
        byte[] back;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            back = in.readAllBytes(); // also checks the CRC and length trailer
        }
        assertArrayEquals(plain, back);
        assertTrue(gz.length < plain.length / 2, gz.length + " of " + plain.length);
    }

    @Test
    void entityCarriesTypeAndEncoding() throws Exception {
        List<byte[]> one = List.of("{\"event\":1}".getBytes(StandardCharsets.UTF_8));
        HttpEntity zipped = HecBody.of(one, true);
        assertEquals("gzip", zipped.getContentEncoding());
        assertTrue(zipped.getContentType().startsWith("application/json"), zipped.getContentType());
        HttpEntity plain = HecBody.of(one, false);
        assertEquals(null, plain.getContentEncoding());
        assertArrayEquals("{\"event\":1}\n".getBytes(StandardCharsets.UTF_8), plain.getContent().readAllBytes());
    }
}
