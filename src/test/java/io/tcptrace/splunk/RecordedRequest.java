package io.tcptrace.splunk;

import java.util.List;
import java.util.Map;

/**
 * One request as the server saw it, for assertions. Header names are lower-cased; the Authorization value is
 * redacted so a printed request never leaks a token ({@link #auth} tells how the token was judged instead).
 *
 * @param method      HTTP method
 * @param path        request path without the query
 * @param query       raw query string, or null
 * @param headers     lower-cased header names to their values (authorization redacted)
 * @param gzip        whether the body came with {@code Content-Encoding: gzip}
 * @param bodyBytes   size of the body after gunzip (raw size if it could not be decoded)
 * @param eventCount  events of this request that were indexed
 * @param status      HTTP status answered (or about to be, when the client left first); 0 if the body never arrived
 * @param hecCode     HEC {@code code} answered, or -1 when the answer had none
 * @param auth        how the Authorization header was judged
 */
public record RecordedRequest(String method, String path, String query, Map<String, List<String>> headers,
        boolean gzip, int bodyBytes, int eventCount, int status, int hecCode, Auth auth) {

    /** How the server judged the request's token; NOT_CHECKED for endpoints that need none (health). */
    public enum Auth { NOT_CHECKED, OK, MISSING, MALFORMED, UNKNOWN, DISABLED }

    /** First value of a header, by case-insensitive name, or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
