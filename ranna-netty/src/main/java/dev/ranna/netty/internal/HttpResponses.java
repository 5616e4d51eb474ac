package dev.ranna.netty.internal;

import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Utf8Text;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Builds the server's HTTP responses: JSON bodies, errors in ranna's {@code {"error","code"}} shape, CORS. */
final class HttpResponses {
    static final String JSON = "application/json; charset=utf-8";
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private HttpResponses() {}

    static FullHttpResponse body(HttpResponseStatus status, String contentType, String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    static FullHttpResponse json(HttpResponseStatus status, String json) {
        return body(status, JSON, json);
    }

    /** A JSON body that is already UTF-8 (a run's answer, its output escaped on bytes): copied once, as it is. */
    static FullHttpResponse json(HttpResponseStatus status, Utf8Text json) {
        ByteBuf content = Unpooled.buffer(json.byteLength());
        try {
            json.read(content::writeBytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a heap buffer does not fail
        }
        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    static FullHttpResponse empty(HttpResponseStatus status) {
        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    /** An error with ranna's body; the HTTP status is the body's code. */
    static FullHttpResponse error(ServerContext context, int code, String message) {
        return json(HttpResponseStatus.valueOf(code), context.restResponses().encode(new ErrorResponse(message, code)));
    }

    /** Adds the CORS response headers every answer carries, errors included. */
    static void cors(ServerContext context, FullHttpResponse response, @Nullable String origin) {
        String allow = context.access().corsAllowOrigin(origin);
        if (allow != null) {
            response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        }
        if (context.access().corsVaries()) {
            response.headers().add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
    }

    static void close(FullHttpResponse response) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
}
