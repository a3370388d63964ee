package io.tcptrace.process;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The host's user database through glibc's getpwuid_r, so users from LDAP, SSSD or systemd's
 * dynamic users are found as well as /etc/passwd's. The call can block (NSS over the network):
 * call it from the loader thread only.
 */
final class Passwd {
    private static final int ERANGE = 34;
    private static final int MAX_BUFFER = 1 << 20;

    static {
        Native.register(Passwd.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private Passwd() {
    }

    private static native int getpwuid_r(int uid, Pointer pwd, Pointer buf, long buflen, Pointer result);

    /** The user name of {@code uid}, or null when the database has no such user. */
    static String name(int uid) {
        // struct passwd starts with char *pw_name; 64 bytes cover the whole struct on 64-bit libcs.
        Memory pwd = new Memory(64);
        Memory result = new Memory(Native.POINTER_SIZE);
        for (int size = 1024; size <= MAX_BUFFER; size *= 4) {
            Memory buf = new Memory(size);
            result.setPointer(0, null);
            int rc = getpwuid_r(uid, pwd, buf, size, result);
            if (rc == ERANGE) {
                continue;
            }
            Pointer entry = result.getPointer(0);
            if (rc != 0 || entry == null) {
                return null;
            }
            Pointer name = entry.getPointer(0);
            return name == null ? null : name.getString(0);
        }
        return null;
    }
}
