package io.tcptrace.event;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcptrace.event.EventSchema.Field;
import io.tcptrace.event.EventSchema.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's event table is the schema as declared: every field, in order, with its type, events and meaning. */
class ReadmeSchemaTableTest {

    @Test
    void theReadmesEventTableIsEventSchema() throws Exception {
        List<String> readme = Files.readAllLines(Path.of(System.getProperty("tcptrace.home", "."), "README.md"));
        int header = readme.indexOf("| field | type | on | meaning |");
        List<String> rows = new ArrayList<>();
        for (int i = header + 2; i < readme.size() && readme.get(i).startsWith("| `"); i++) {
            rows.add(readme.get(i));
        }
        List<String> expected = Arrays.stream(Field.values()).map(ReadmeSchemaTableTest::row).toList();
        assertEquals(String.join("\n", expected), String.join("\n", rows));
    }

    private static String row(Field f) {
        String on = f.types().size() == Type.values().length ? "all"
                : f.types().stream().map(Type::json).collect(Collectors.joining(", "));
        return "| `" + f.json() + "` | " + f.kind().name().toLowerCase(Locale.ROOT) + " | " + on + " | " + f.meaning() + " |";
    }
}
