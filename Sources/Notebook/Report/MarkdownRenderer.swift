// Prose to HTML with cmark-gfm (tables, strikethrough, autolinks), value references and escaped raw HTML.
import CMarkGFM
import Foundation

/// Renders the notebook's prose. User raw HTML is shown as text, never interpreted; dangerous link
/// schemes are dropped by cmark's safe mode. Loom's own markup (value references) is injected as
/// custom nodes, which cmark emits verbatim without `CMARK_OPT_UNSAFE`.
public enum MarkdownRenderer {
    /// GFM extensions attached to every parse (tagfilter is defence in depth: no raw HTML survives anyway).
    static let extensionNames = ["table", "strikethrough", "autolink", "tagfilter"]

    private static let registered: Void = { cmark_gfm_core_extensions_ensure_registered() }()

    /// HTML for `markdown`. Inline code spans starting with `=` (`` `= aa.top1` ``) are passed to
    /// `resolve` without the `=` and surrounding spaces ("aa.top1"); a resolved reference becomes a
    /// link to its result's anchor, an unresolved one a marked span showing the expression.
    public static func html(_ markdown: String, resolve: (String) -> InlineValue? = { _ in nil }) -> String {
        _ = registered
        guard let parser = cmark_parser_new(CMARK_OPT_DEFAULT) else { return HTML.escape(markdown) }
        defer { cmark_parser_free(parser) }
        for name in extensionNames {
            if let ext = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, ext) }
        }
        cmark_parser_feed(parser, markdown, markdown.utf8.count)
        guard let document = cmark_parser_finish(parser) else { return HTML.escape(markdown) }
        defer { cmark_node_free(document) }

        rewrite(document, resolve: resolve)
        guard let rendered = cmark_render_html(document, CMARK_OPT_DEFAULT, cmark_parser_get_syntax_extensions(parser))
        else { return HTML.escape(markdown) }
        defer { free(rendered) }
        return String(cString: rendered)
    }

    /// Replaces value references and user HTML in place; nodes are collected first because
    /// replacing while iterating would invalidate the iterator.
    private static func rewrite(_ document: OpaquePointer, resolve: (String) -> InlineValue?) {
        var targets: [OpaquePointer] = []
        let iterator = cmark_iter_new(document)
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            if type == CMARK_NODE_HTML_INLINE || type == CMARK_NODE_HTML_BLOCK
                || (type == CMARK_NODE_CODE && literal(node).hasPrefix("=")) {
                targets.append(node)
            }
        }
        for node in targets {
            let text = literal(node)
            let replacement: OpaquePointer?
            switch cmark_node_get_type(node) {
            case CMARK_NODE_CODE:
                replacement = cmark_node_new(CMARK_NODE_CUSTOM_INLINE)
                cmark_node_set_on_enter(replacement, reference(text, resolve: resolve))
                cmark_node_set_on_exit(replacement, "")
            case CMARK_NODE_HTML_INLINE:
                replacement = textNode(text)
            default:
                replacement = cmark_node_new(CMARK_NODE_PARAGRAPH)
                let content = text.hasSuffix("\n") ? String(text.dropLast()) : text
                cmark_node_append_child(replacement, textNode(content))
            }
            cmark_node_replace(node, replacement)
            cmark_node_free(node)
        }
    }

    /// The HTML of one value reference.
    static func reference(_ code: String, resolve: (String) -> InlineValue?) -> String {
        let expression = code.dropFirst().trimmingCharacters(in: .whitespaces)
        guard let value = resolve(expression) else {
            return "<span class=\"ref unresolved\" title=\"unresolved reference\">= " + HTML.escape(expression) + "</span>"
        }
        let title = expression + (value.detail.map { " — " + $0 } ?? "")
        return "<a class=\"ref\" href=\"#" + HTML.escape(value.anchor) + "\" title=\"" + HTML.escape(title) + "\">"
            + HTML.escape(value.text) + "</a>"
    }

    private static func textNode(_ text: String) -> OpaquePointer? {
        let node = cmark_node_new(CMARK_NODE_TEXT)
        cmark_node_set_literal(node, text)
        return node
    }

    private static func literal(_ node: OpaquePointer) -> String {
        cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
    }
}
