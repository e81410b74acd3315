"""Which structure element each flowable of a letter draws into: the story as a tagged PDF.

Before the story is laid out, :func:`tag_story` walks it in reading order and gives every
paragraph its element — ``H1`` for the letter's title, ``H2``/``H3`` for headings, ``P`` for the
rest, ``L``/``LI``/``LBody`` for lists — by switching the paragraph to a marked subclass
(:class:`~.._tagging.MarkedParagraph`, which survives reportlab's page splits). List bullets and
rules are decoration: they are drawn as artifacts (the list's structure already says "list").
Spacers and indenters draw nothing. Any other flowable is a bug here: it raises, so no content
is ever left untagged by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.platypus import Flowable, HRFlowable, Indenter, KeepTogether, ListFlowable, ListItem, Paragraph, Spacer
from reportlab.platypus.doctemplate import ActionFlowable
from reportlab.platypus.flowables import BulletDrawer
from reportlab.platypus.xpreformatted import XPreformatted

from .._tagging import Elem, MarkedParagraph, Tagger, artifact

__all__ = ["tag_story"]


class _MarkedPreformatted(MarkedParagraph, XPreformatted):  # type: ignore[misc]  # reportlab is untyped
    """A code block: XPreformatted's layout, marked like a paragraph."""


class _ArtifactBullet(BulletDrawer):  # type: ignore[misc]
    def drawOn(self, indenter: Any, canv: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803
        with artifact(canv):
            super().drawOn(indenter, canv, x, y, _sW)


class _TaggedList(ListFlowable):  # type: ignore[misc]
    def _makeBullet(self, value: Any, params: Any = None) -> Any:  # noqa: N802 - reportlab's name
        bullet = super()._makeBullet(value, params)
        bullet.__class__ = _ArtifactBullet
        return bullet


class _ArtifactRule(HRFlowable):  # type: ignore[misc]
    def draw(self) -> None:
        with artifact(self.canv):
            super().draw()


def tag_story(story: Sequence[Flowable], tagger: Tagger, roles: dict[str, str]) -> None:
    """Mark every flowable of ``story`` under ``tagger.root``; ``roles`` maps paragraph style names to
    structure types (a style not named is ``P``)."""
    _walk(story, tagger, tagger.root, roles)


def _walk(flowables: Sequence[Any], tagger: Tagger, parent: Elem, roles: dict[str, str]) -> None:
    for f in flowables:
        if isinstance(f, Paragraph):
            role = "Code" if isinstance(f, XPreformatted) else roles.get(f.style.name, "P")
            f.__class__ = _MarkedPreformatted if isinstance(f, XPreformatted) else MarkedParagraph
            # A code block is a paragraph of code (Code alone is an inline type in PDF 1.7).
            f.tag = (tagger, parent.add("P") if role == "Code" else parent.add(role))
        elif isinstance(f, ListFlowable):
            f.__class__ = _TaggedList
            items = parent.add("L")
            for item in f._flowables:
                body = items.add("LI").add("LBody")
                _walk(item._flowables if isinstance(item, ListItem) else [item], tagger, body, roles)
        elif isinstance(f, KeepTogether):
            _walk(f._content, tagger, parent, roles)
        elif isinstance(f, HRFlowable):
            f.__class__ = _ArtifactRule
        elif isinstance(f, Spacer | Indenter | ActionFlowable):  # draw nothing
            continue
        else:
            raise TypeError(f"a letter's {type(f).__name__} has no structure element")
