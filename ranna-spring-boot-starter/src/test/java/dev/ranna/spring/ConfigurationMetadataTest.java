package dev.ranna.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigRegistry;
import dev.ranna.engine.spi.config.ConfigType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code META-INF/spring-configuration-metadata.json}, which IDEs read to complete {@code ranna.*} properties
 * with their descriptions and defaults, is written from the one key registry (the engine's, the API's, the
 * shared sandbox keys and every provider's), never by hand: this test fails when the file and the registry
 * disagree. {@code -Dranna.metadata.write=true} rewrites it.
 */
class ConfigurationMetadataTest {
    private static final Path FILE = Path.of("src/main/resources/META-INF/spring-configuration-metadata.json");

    @Test
    void theMetadataFileIsTheRegistrysKeys() throws Exception {
        List<SandboxProvider> providers =
                RannaEngine.discoverSandboxes(ConfigurationMetadataTest.class.getClassLoader());
        assertThat(providers).extracting(SandboxProvider::name).contains("process", "docker");
        String expected = metadata(RannaSettings.registry(providers), providers);
        if (Boolean.getBoolean("ranna.metadata.write")) {
            Files.writeString(FILE, expected, StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(FILE, StandardCharsets.UTF_8))
                .as("%s is generated: run this test with -Dranna.metadata.write=true", FILE)
                .isEqualTo(expected);
    }

    static String metadata(ConfigRegistry registry, List<SandboxProvider> providers) throws Exception {
        var mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        ArrayNode groups = root.putArray("groups");
        groups.addObject()
                .put("name", "ranna")
                .put("description", "ranna: the engine, its sandbox and the API, with the standalone server's keys");
        ArrayNode properties = root.putArray("properties");
        for (ConfigKey<?> key : registry.keys()) {
            if (key.isTemplate()) {
                continue; // a name with a placeholder has no single property to complete
            }
            ObjectNode property = properties.addObject();
            property.put("name", RannaSettings.PREFIX + key.name());
            property.put("type", key.type() == ConfigType.BOOLEAN ? "java.lang.Boolean" : "java.lang.String");
            String description = key.description();
            if (key.defaultValue().isEmpty() && !key.defaultHelp().isEmpty()) {
                description += "; default: " + key.defaultHelp();
            }
            property.put("description", description);
            key.defaultValue().ifPresent(value -> {
                if (key.type() == ConfigType.BOOLEAN) {
                    property.put("defaultValue", Boolean.parseBoolean(value));
                } else {
                    property.put("defaultValue", value);
                }
            });
        }
        ArrayNode hints = root.putArray("hints");
        ArrayNode sandboxes =
                hints.addObject().put("name", "ranna.sandbox.type").putArray("values");
        providers.stream()
                .map(SandboxProvider::name)
                .sorted()
                .forEach(name -> sandboxes.addObject().put("value", name));
        return mapper.writeValueAsString(root) + "\n";
    }
}
