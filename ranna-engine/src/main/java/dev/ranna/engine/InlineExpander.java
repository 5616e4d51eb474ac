package dev.ranna.engine;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.ranna.protocol.InlineTemplate;
import java.util.ArrayList;
import java.util.List;

/**
 * Wraps an inline expression in its spec's template.
 *
 * <p>The spec's import regex is matched with RE2/J, in time linear in the code's length and without
 * recursion, because the code is untrusted: with {@code java.util.regex} a crafted input overflowed the
 * stack (a few thousand repetitions of a group). RE2 is also the syntax ranna's own (Go) server uses for
 * this field. The engine calls this on a run thread, never on a network thread.
 */
final class InlineExpander {
    private InlineExpander() {}

    /**
     * Moves the matches of the template's import regex out of {@code code} into {@code $${IMPORTS}}
     * (joined by newlines) and puts the rest at {@code $${CODE}}. Placeholders are replaced in one pass,
     * so text in the code that looks like a placeholder stays as it is.
     */
    static String expand(InlineTemplate inline, String code) {
        List<String> imports = new ArrayList<>();
        String body = code;
        if (inline.importRegex() != null && !inline.importRegex().isEmpty()) {
            Matcher matcher = Pattern.compile(inline.importRegex()).matcher(code);
            var rest = new StringBuilder();
            int last = 0;
            while (matcher.find()) {
                if (matcher.end() == matcher.start()) {
                    continue;
                }
                imports.add(matcher.group());
                rest.append(code, last, matcher.start());
                last = matcher.end();
            }
            rest.append(code, last, code.length());
            body = rest.toString();
        }
        String template = inline.template();
        var out = new StringBuilder(template.length() + code.length());
        int i = 0;
        while (i < template.length()) {
            if (template.startsWith(InlineTemplate.CODE_PLACEHOLDER, i)) {
                out.append(body);
                i += InlineTemplate.CODE_PLACEHOLDER.length();
            } else if (template.startsWith(InlineTemplate.IMPORTS_PLACEHOLDER, i)) {
                out.append(String.join("\n", imports));
                i += InlineTemplate.IMPORTS_PLACEHOLDER.length();
            } else {
                out.append(template.charAt(i++));
            }
        }
        return out.toString();
    }
}
