package dev.ranna.spring;

import dev.ranna.engine.RannaEngine;

/**
 * Adjusts the auto-configured engine before it is built, e.g. to give it a spec map built in code ({@code
 * builder.specs(...)}) or an executor. Every bean of this type is applied, in {@link
 * org.springframework.core.Ordered} order, after the {@code ranna.*} properties. Not called when the
 * application defines its own {@link RannaEngine} bean.
 */
@FunctionalInterface
public interface RannaEngineCustomizer {

    /** Called once, on the thread that creates the engine bean, before {@link RannaEngine.Builder#build()}. */
    void customize(RannaEngine.Builder builder);
}
