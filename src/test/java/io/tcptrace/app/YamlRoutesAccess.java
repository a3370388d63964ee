package io.tcptrace.app;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/** Opens {@link YamlRoutesTestSupport} to test classes in other packages. */
public abstract class YamlRoutesAccess extends YamlRoutesTestSupport {
    @Override
    protected abstract List<String> sinks();

    @Override
    protected Properties properties() {
        return new Properties();
    }

    @Override
    protected Path outputFile() {
        return super.outputFile();
    }
}
