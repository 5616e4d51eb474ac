package dev.ranna.spring;

import dev.ranna.playground.PlaygroundAssets;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The browser playground at {@code <ranna.web.pathprefix>/} and its files under {@code .../playground/},
 * from the same allow-list and with the same headers as the standalone server ({@link PlaygroundAssets}).
 * The page addresses the API relative to itself, so it finds {@code <prefix>/v1/...} on its own.
 */
final class PlaygroundServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient PlaygroundAssets assets;
    private final String prefix;

    PlaygroundServlet(PlaygroundAssets assets, String prefix) {
        this.assets = assets;
        this.prefix = prefix;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        PlaygroundAssets.securityHeaders(request.getHeader("Host")).forEach(response::setHeader);
        String method = request.getMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            response.setHeader("Allow", "GET, HEAD");
            plain(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "method not allowed\n");
            return;
        }
        // The raw path, undecoded and unnormalised: only exact names from the list match.
        String uri = request.getRequestURI();
        String base = request.getContextPath() + prefix;
        if (uri.equals(base) && !prefix.isEmpty()) {
            // The page's relative addresses need the trailing slash.
            response.sendRedirect(base + "/");
            return;
        }
        PlaygroundAssets.Asset asset = uri.startsWith(base + "/") ? assets.find(uri.substring(base.length())) : null;
        if (asset == null) {
            plain(response, HttpServletResponse.SC_NOT_FOUND, "not found\n");
            return;
        }
        response.setHeader("ETag", asset.etag());
        if (asset.matches(request.getHeader("If-None-Match"))) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(asset.contentType());
        response.setContentLength(asset.body().length);
        if ("GET".equals(method)) {
            response.getOutputStream().write(asset.body());
        }
    }

    private static void plain(HttpServletResponse response, int status, String text) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain; charset=utf-8");
        response.getWriter().write(text);
    }
}
