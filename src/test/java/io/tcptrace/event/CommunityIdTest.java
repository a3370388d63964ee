package io.tcptrace.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Community ID v1 against the published spec's baseline vectors (corelight/community-id-spec,
 * baseline/baseline_deflt.json for seed 0 and baseline_seed1.json for seed 1): the flows with ports
 * (TCP 6, UDP 17, SCTP 132), each in both directions.
 */
class CommunityIdTest {

    @ParameterizedTest
    @CsvSource({
            "0, 6, 128.232.110.120, 34855, 66.35.250.204, 80, 1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            "0, 6, 66.35.250.204, 80, 128.232.110.120, 34855, 1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            "0, 6, 2001:470:e5bf:dead:4957:2174:e82c:4887, 63943, 2607:f8b0:400c:c03::1a, 25, 1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            "0, 6, 2607:f8b0:400c:c03::1a, 25, 2001:470:e5bf:dead:4957:2174:e82c:4887, 63943, 1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            "0, 17, 192.168.1.52, 54585, 8.8.8.8, 53, 1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            "0, 17, 8.8.8.8, 53, 192.168.1.52, 54585, 1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            "0, 132, 192.168.170.8, 7, 192.168.170.56, 7, 1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
            "0, 132, 192.168.170.56, 7, 192.168.170.8, 7, 1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
            "1, 6, 128.232.110.120, 34855, 66.35.250.204, 80, 1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
            "1, 6, 66.35.250.204, 80, 128.232.110.120, 34855, 1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
            "1, 6, 2001:470:e5bf:dead:4957:2174:e82c:4887, 63943, 2607:f8b0:400c:c03::1a, 25, 1:eJYTW6AOzFLlSUoESovMjnu7rMw=",
            "1, 17, 192.168.1.52, 54585, 8.8.8.8, 53, 1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
            "1, 132, 192.168.170.56, 7, 192.168.170.8, 7, 1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
    })
    void specBaselineVectors(int seed, int protocol, String src, int srcPort, String dest, int destPort, String id)
            throws Exception {
        CommunityId c = new CommunityId(seed);
        assertEquals(id, c.of(protocol, InetAddress.getByName(src).getAddress(), srcPort,
                InetAddress.getByName(dest).getAddress(), destPort));
        assertEquals(id, c.of(protocol, InetAddress.getByName(src).getAddress(), srcPort,
                InetAddress.getByName(dest).getAddress(), destPort), "the same again: no state carried over");
    }

    @Test
    void equalAddressesAreOrderedByPort() throws Exception {
        CommunityId c = new CommunityId(0);
        byte[] lo = InetAddress.getByName("127.0.0.1").getAddress();
        assertEquals(c.of(CommunityId.TCP, lo, 5000, lo, 40000), c.of(CommunityId.TCP, lo, 40000, lo, 5000));
    }

    @Test
    void seedOutOfRangeIsRefusedNamingTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CommunityId(65536));
        assertEquals("communityIdSeed=65536 is out of range: use 0 to 65535 (0 is the default that Zeek, Suricata and"
                + " Auditbeat use)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CommunityId(-1));
    }
}
