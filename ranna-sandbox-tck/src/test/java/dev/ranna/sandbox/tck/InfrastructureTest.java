package dev.ranna.sandbox.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class InfrastructureTest {
    private @Nullable String previous;

    @BeforeEach
    void remember() {
        previous = System.getProperty(Infrastructure.REQUIRE_PROPERTY);
    }

    @AfterEach
    void restore() {
        if (previous == null) {
            System.clearProperty(Infrastructure.REQUIRE_PROPERTY);
        } else {
            System.setProperty(Infrastructure.REQUIRE_PROPERTY, previous);
        }
    }

    @Test
    void ciTrueRequiresInfrastructureUnlessThePropertySaysOtherwise() {
        assertThat(Infrastructure.required(null, "true")).isTrue();
        assertThat(Infrastructure.required(null, "TRUE")).isTrue();
        assertThat(Infrastructure.required(null, null)).isFalse();
        assertThat(Infrastructure.required(null, "1")).isFalse();
        assertThat(Infrastructure.required("true", null)).isTrue();
        assertThat(Infrastructure.required("false", "true")).isFalse();
        // An unresolved Maven expression or anything else is no answer: CI decides.
        assertThat(Infrastructure.required("${env.CI}", "true")).isTrue();
        assertThat(Infrastructure.required("", null)).isFalse();
    }

    @Test
    void aPresentRequirementPassesEitherWay() {
        System.setProperty(Infrastructure.REQUIRE_PROPERTY, "true");
        Infrastructure.require(true, "unused");
        System.setProperty(Infrastructure.REQUIRE_PROPERTY, "false");
        Infrastructure.require(true, "unused");
    }

    @Test
    void aMissingRequirementSkipsWithTheReasonLocally() {
        System.setProperty(Infrastructure.REQUIRE_PROPERTY, "false");
        assertThatThrownBy(() -> Infrastructure.require(false, "no frobnicator here"))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("no frobnicator here");
    }

    @Test
    void aMissingRequirementFailsWithTheReasonWhenRequired() {
        System.setProperty(Infrastructure.REQUIRE_PROPERTY, "true");
        assertThatThrownBy(() -> Infrastructure.require(false, "no frobnicator here"))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("no frobnicator here")
                .hasMessageContaining(Infrastructure.REQUIRE_PROPERTY + "=true or CI=true");
    }
}
