"""The officer's reasons, written in Markdown, as reportlab flowables.

markdown-it-py (CommonMark) parses; this module only maps its tokens to paragraphs, lists
(nested, numbered from the written start), block quotes, headings, rules and code blocks,
with **strong**, *emphasis* and line breaks inline. Raw HTML is shown as the text it is,
never interpreted; a link shows its text followed by its address (the letter may be printed);
an image shows its alt text. Tables are not part of CommonMark and stay plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, HRFlowable, Indenter, ListFlowable, ListItem, Paragraph, Spacer, XPreformatted

__all__ = ["MarkdownStyles", "markdown_flowables", "markdown_html"]


@dataclass(frozen=True)
class MarkdownStyles:
    """The paragraph styles the reasons are set in (the letter's body, its headings, code)."""

    body: ParagraphStyle
    item: ParagraphStyle  # paragraphs inside list items: tighter than the body
    quote: ParagraphStyle
    heading: ParagraphStyle
    code: ParagraphStyle
    rule_color: object


def _parser() -> MarkdownIt:
    # "html": False makes raw HTML plain text; "linkify" would need another dependency.
    return MarkdownIt("commonmark", {"html": False})


def markdown_flowables(text: str, styles: MarkdownStyles) -> list[Flowable]:
    """Flowables for ``text``; empty Markdown gives an empty list.

    >>> from reportlab.lib.styles import ParagraphStyle
    >>> s = ParagraphStyle("b")
    >>> [type(f).__name__ for f in markdown_flowables("One *two*\\n\\n- a\\n- b", MarkdownStyles(s, s, s, s, s, None))]
    ['Paragraph', 'ListFlowable']
    """
    tokens = _parser().parse(text)
    flowables, _ = _blocks(tokens, 0, styles, styles.body, close=None)
    return flowables


def markdown_html(text: str) -> str:
    """The reasons as HTML for a preview on screen, by the same parser and the same choices as the letter:
    raw HTML is text, a link is its text and then its address (no ``<a>``), an image its alt text.
    Every piece of text is escaped; the only tags are those CommonMark's renderer writes.

    >>> markdown_html("**Nej** <script>x</script> [se](https://a.dk)")
    '<p><strong>Nej</strong> &lt;script&gt;x&lt;/script&gt; se (https://a.dk)</p>\\n'
    """
    parser = _parser()
    tokens = parser.parse(text)
    for tok in tokens:
        if tok.type == "inline" and tok.children is not None:
            tok.children = _plain_links(tok.children)
    return str(parser.renderer.render(tokens, parser.options, {}))


def _plain_links(children: Sequence[Token]) -> list[Token]:
    """Inline tokens with links and images as the letter prints them (see :func:`_inline`)."""
    out: list[Token] = []
    links: list[tuple[str, int]] = []
    for tok in children:
        if tok.type == "link_open":
            links.append((str(tok.attrGet("href") or ""), len(out)))
        elif tok.type == "link_close" and links:
            href, start = links.pop()
            shown = "".join(t.content for t in out[start:] if t.type == "text")
            if href and href != shown and href.removeprefix("mailto:") != shown:
                out.append(Token("text", "", 0, content=f" ({href})"))
        elif tok.type == "image":
            out.append(Token("text", "", 0, content=tok.content or ""))
        else:
            out.append(tok)
    return out


def _blocks(tokens: Sequence[Token], i: int, styles: MarkdownStyles, para: ParagraphStyle,
            close: str | None) -> tuple[list[Flowable], int]:
    """Block flowables from ``tokens[i]`` up to the token of type ``close``, paragraphs in ``para``;
    returns them and the next index."""
    out: list[Flowable] = []
    while i < len(tokens):
        tok = tokens[i]
        if close and tok.type == close:
            return out, i + 1
        if tok.type == "paragraph_open":
            # In a tight list the paragraph is hidden: same text, no extra space (the list spaces items).
            inline = tokens[i + 1]
            out.append(Paragraph(_inline(inline.children or []), para))
            i += 3
        elif tok.type == "heading_open":
            out.append(Paragraph(_inline(tokens[i + 1].children or []), styles.heading))
            i += 3
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            items, i = _list(tokens, i, styles)
            out.append(items)
        elif tok.type == "blockquote_open":
            inner, i = _blocks(tokens, i + 1, styles, styles.quote, close="blockquote_close")
            out += [Indenter(left=14), *inner, Indenter(left=-14)]
        elif tok.type in ("fence", "code_block"):
            out.append(XPreformatted(escape(tok.content.rstrip("\n")), styles.code))
            i += 1
        elif tok.type == "hr":
            out += [Spacer(1, 3), HRFlowable(width="100%", thickness=0.6, color=styles.rule_color,
                                             spaceBefore=2, spaceAfter=6)]
            i += 1
        elif tok.type == "html_block":  # not produced with html=False; kept as text if a preset changes
            out.append(Paragraph(escape(tok.content), para))
            i += 1
        else:
            i += 1
    return out, i


def _list(tokens: Sequence[Token], i: int, styles: MarkdownStyles) -> tuple[Flowable, int]:
    opening = tokens[i]
    ordered = opening.type == "ordered_list_open"
    close = "ordered_list_close" if ordered else "bullet_list_close"
    i += 1
    items: list[ListItem] = []
    while tokens[i].type != close:
        # tokens[i] is list_item_open
        inner, i = _blocks(tokens, i + 1, styles, styles.item, close="list_item_close")
        items.append(ListItem(inner or [Paragraph("", styles.item)]))
    start = int(opening.attrGet("start") or 1) if ordered else None
    kwargs: dict[str, object] = {"bulletType": "1", "start": start, "bulletFormat": "%s."} if ordered else {
        "bulletType": "bullet", "start": "•"}
    flow = ListFlowable(items, leftIndent=16, bulletFontName=styles.body.fontName,
                        bulletFontSize=styles.body.fontSize, bulletColor=styles.body.textColor,
                        spaceBefore=0, spaceAfter=styles.body.spaceAfter, **kwargs)
    return flow, i + 1


# Inline tokens that stand for a fixed piece of reportlab markup.
_MARKUP = {"softbreak": " ", "hardbreak": "<br/>", "strong_open": "<b>", "strong_close": "</b>",
           "em_open": "<i>", "em_close": "</i>"}


def _inline(children: Sequence[Token]) -> str:
    """reportlab's paragraph markup for one inline run; every piece of text escaped."""
    out: list[str] = []
    links: list[tuple[str, int]] = []  # open links: address and where their text starts
    for tok in children:
        kind = tok.type
        if kind == "text" or kind == "html_inline":
            out.append(escape(tok.content))
        elif kind == "code_inline":
            out.append(f'<font backColor="#eef1f5">{escape(tok.content)}</font>')
        elif kind in _MARKUP:
            out.append(_MARKUP[kind])
        elif kind == "link_open":
            links.append((str(tok.attrGet("href") or ""), len(out)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            shown = "".join(out[start:])
            # An autolink (<https://…>, <a@b.dk>) already shows its address.
            if href and escape(href) != shown and escape(href.removeprefix("mailto:")) != shown:
                out.append(f" ({escape(href)})")
        elif kind == "image":
            out.append(escape(tok.content or ""))
    return "".join(out)
