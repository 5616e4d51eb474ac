package dev.ranna.it;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.FileWriter;
import java.io.RandomAccessFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module and package rules of ranna for the JVM, checked on the compiled classes of every module
 * (this module has them all on its test class path), so breaking one fails {@code mvn verify}.
 *
 * <p>Modules map one-to-one onto package trees: {@code ranna-protocol} is {@code dev.ranna.protocol..},
 * {@code ranna-engine} is {@code dev.ranna.engine..}, {@code ranna-sandbox-tck} is {@code
 * dev.ranna.sandbox.tck..}, the sandboxes are {@code dev.ranna.sandbox.process..} and {@code
 * dev.ranna.sandbox.docker..}, {@code ranna-netty} is {@code dev.ranna.netty..}, {@code ranna-client} is {@code
 * dev.ranna.client..}, {@code ranna-spring-boot-starter} is {@code dev.ranna.spring..}, {@code ranna-api-tck} is
 * {@code dev.ranna.api.tck..}, {@code ranna-playground} is {@code dev.ranna.playground..}. Rules about what a module
 * may use are checked on main classes only ({@link #main}); rules about what nobody may reach into also see
 * this module's test classes ({@link #all}).
 */
class ArchitectureTest {
    private static final String PROTOCOL = "dev.ranna.protocol..";
    private static final String ENGINE = "dev.ranna.engine..";
    private static final String SPI = "dev.ranna.engine.spi..";
    private static final String ENGINE_INTERNAL = "dev.ranna.engine.internal..";
    private static final String TCK = "dev.ranna.sandbox.tck..";
    private static final String PROCESS = "dev.ranna.sandbox.process..";
    private static final String DOCKER = "dev.ranna.sandbox.docker..";
    private static final String NETTY = "dev.ranna.netty..";
    private static final String NETTY_INTERNAL = "dev.ranna.netty.internal..";
    private static final String CLIENT = "dev.ranna.client..";
    private static final String SPRING = "dev.ranna.spring..";
    private static final String API_TCK = "dev.ranna.api.tck..";
    private static final String PLAYGROUND = "dev.ranna.playground..";
    private static final String JACKSON = "com.fasterxml.jackson..";

    private static JavaClasses main;
    private static JavaClasses all;

    @BeforeAll
    static void importClasses() {
        // One import; the main classes are the ones neither under a test-classes directory nor in a
        // test-jar (ranna-protocol's, which ships the contract's schema checker to other modules' tests).
        all = new ClassFileImporter().importPackages("dev.ranna");
        ImportOption mainOnly = new ImportOption.DoNotIncludeTests();
        main = all.that(DescribedPredicate.describe(
                "main code",
                c -> c.getSource()
                        .map(s -> mainOnly.includes(Location.of(s.getUri()))
                                && !s.getUri().toString().contains("-tests.jar!"))
                        .orElse(true)));
    }

    @Test
    void modulesDependOneWay() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("protocol")
                .definedBy(PROTOCOL)
                .layer("engine")
                .definedBy(ENGINE)
                .layer("tck")
                .definedBy(TCK)
                .layer("process sandbox")
                .definedBy(PROCESS)
                .layer("docker sandbox")
                .definedBy(DOCKER)
                .layer("netty")
                .definedBy(NETTY)
                .layer("spring")
                .definedBy(SPRING)
                .layer("api tck")
                .definedBy(API_TCK)
                .whereLayer("netty")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("spring")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("api tck")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("process sandbox")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("docker sandbox")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("tck")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("engine")
                .mayOnlyBeAccessedByLayers("tck", "process sandbox", "docker sandbox", "netty", "spring")
                .because("dependencies point one way: protocol <- engine <- {sandboxes, tck, netty, spring};"
                        + " protocol <- api tck; a sandbox is reached only through ServiceLoader")
                .check(main);
    }

    @Test
    void theProtocolDependsOnNoOtherModuleAndDoesNoIoBeyondJackson() {
        classes()
                .that()
                .resideInAPackage(PROTOCOL)
                .should()
                .onlyDependOnClassesThat(resideInAnyPackage(PROTOCOL, "java..", JACKSON, "org.jspecify.."))
                .because("ranna-protocol is values and a codec, usable by any client")
                .check(main);
        noClasses()
                .that()
                .resideInAPackage(PROTOCOL)
                .should()
                .dependOnClassesThat(resideInAnyPackage("java.nio.file..", "java.nio.channels..", "java.net..")
                        .or(belongToAnyOf(
                                File.class,
                                FileInputStream.class,
                                FileOutputStream.class,
                                FileReader.class,
                                FileWriter.class,
                                RandomAccessFile.class,
                                ProcessBuilder.class,
                                Process.class)))
                .because("ranna-protocol does no I/O: it reads and writes what the caller hands it")
                .check(main);
    }

    @Test
    void theClientIsTheProtocolAndTheJdkOnlyAndNoServerModuleUsesIt() {
        classes()
                .that()
                .resideInAPackage(CLIENT)
                .should()
                .onlyDependOnClassesThat(resideInAnyPackage(CLIENT, PROTOCOL, "java..", "org.jspecify.."))
                .because("ranna-client runs on java.net.http and ranna-protocol alone, so a Java program that"
                        + " uses a ranna server receives nothing of the server")
                .check(main);
        noClasses()
                .that()
                .resideInAnyPackage(PROTOCOL, ENGINE, TCK, PROCESS, DOCKER, NETTY)
                .should()
                .dependOnClassesThat()
                .resideInAPackage(CLIENT)
                .because("the client is a leaf: servers and sandboxes never need it")
                .check(main);
    }

    @Test
    void theSpiImportsNothingOfTheEngineOutsideTheSpi() {
        noClasses()
                .that()
                .resideInAPackage(SPI)
                .should()
                .dependOnClassesThat(resideInAPackage(ENGINE).and(not(resideInAPackage(SPI))))
                .because("a sandbox author compiles against dev.ranna.engine.spi alone")
                .check(main);
    }

    @Test
    void nothingOutsideTheEngineUsesItsInternals() {
        noClasses()
                .that()
                .resideOutsideOfPackage(ENGINE)
                .should()
                .dependOnClassesThat()
                .resideInAPackage(ENGINE_INTERNAL)
                .because("dev.ranna.engine.internal is not API")
                .check(all);
    }

    @Test
    void nothingOutsideNettyUsesItsInternalsExceptTests() {
        noClasses()
                .that()
                .resideOutsideOfPackage(NETTY)
                .should()
                .dependOnClassesThat()
                .resideInAPackage(NETTY_INTERNAL)
                .because("dev.ranna.netty.internal is not API")
                .check(main);
    }

    @Test
    void theStarterIsAnotherTransportNotAWrapperOfNetty() {
        noClasses()
                .that()
                .resideInAPackage(SPRING)
                .should()
                .dependOnClassesThat(resideInAnyPackage(NETTY, "io.netty..", PROCESS, DOCKER, TCK, API_TCK))
                .because("the starter serves the API on the application's servlet container with the engine's own"
                        + " pieces (dev.ranna.engine.access); an embedder gets neither our Netty server nor Netty,"
                        + " and sandboxes only through ServiceLoader")
                .check(main);
    }

    @Test
    void thePlaygroundIsFilesAndTheirRulesForEveryTransport() {
        classes()
                .that()
                .resideInAPackage(PLAYGROUND)
                .should()
                .onlyDependOnClassesThat(resideInAnyPackage(PLAYGROUND, "java..", "org.jspecify.."))
                .because("the Netty server and the Spring Boot starter serve the same page from the same allow-list"
                        + " and headers; it knows neither")
                .check(main);
    }

    @Test
    void theWireSuiteSpeaksOnlyTheProtocol() {
        classes()
                .that()
                .resideInAPackage(API_TCK)
                .should()
                .onlyDependOnClassesThat(resideInAnyPackage(
                        API_TCK, PROTOCOL, "java..", "org.junit..", "org.assertj..", "org.jspecify.."))
                .because("the suite checks any transport from the outside, with the JDK's HTTP and WebSocket"
                        + " clients")
                .check(main);
    }

    @Test
    void sandboxesDependNeitherOnEachOtherNorOnNetty() {
        sandboxMayNotUse(PROCESS, DOCKER);
        sandboxMayNotUse(DOCKER, PROCESS);
    }

    private static void sandboxMayNotUse(String sandbox, String otherSandbox) {
        noClasses()
                .that()
                .resideInAPackage(sandbox)
                .should()
                .dependOnClassesThat(resideInAnyPackage(otherSandbox, NETTY, TCK))
                .because("a sandbox is a plug-in of the engine, built on the SPI alone")
                .check(main);
    }

    @Test
    void jacksonOnlyInTheProtocolAndTheDockerSandbox() {
        noClasses()
                .that(resideOutsideOfPackages(PROTOCOL, DOCKER))
                .should()
                .dependOnClassesThat()
                .resideInAPackage(JACKSON)
                .because("JSON is ranna-protocol's concern; the Docker sandbox speaks Docker's JSON through"
                        + " docker-java")
                .check(main);
    }

    @Test
    void snakeyamlOnlyInTheStandaloneServersConfigReading() {
        noClasses()
                .that()
                .resideOutsideOfPackage(NETTY_INTERNAL)
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.yaml..")
                .because("only the standalone server reads a YAML config file; an embedder gets no YAML parser")
                .check(main);
    }

    private static DescribedPredicate<JavaClass> resideOutsideOfPackages(String... packages) {
        return not(resideInAnyPackage(packages));
    }
}
