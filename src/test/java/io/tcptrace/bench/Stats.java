package io.tcptrace.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** min / median / max over repeated runs, and percentiles of a sample. */
final class Stats {
    private Stats() {
    }

    static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** "min / median / max" with the given format, e.g. "%.2f". */
    static String range(List<Double> values, String format) {
        if (values.isEmpty()) {
            return "n/a";
        }
        return String.format(format, Collections.min(values)) + " / " + String.format(format, median(values)) + " / "
                + String.format(format, Collections.max(values));
    }
}
