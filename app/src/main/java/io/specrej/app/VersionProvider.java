package io.specrej.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The version Maven filtered into specrej-version.properties, so --version always matches the build. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"specrej " + version(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
    }

    static String version() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("/specrej-version.properties")) {
            if (in == null) {
                return "dev";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }
}
