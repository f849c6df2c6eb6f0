"""A tiny XML writer: nested :class:`Node` values to indented, escaped text.

Oozie files are read by people too: default namespaces on the elements that change them, one
element a line, text escaped and nothing else touched (``${...}`` EL stays as written).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union
from xml.sax.saxutils import escape, quoteattr


@dataclass
class Node:
    """An element: ``tag``, attributes (in order), and either ``text`` or ``children``."""

    tag: str
    attributes: Dict[str, str] = field(default_factory=dict)
    children: List["Node"] = field(default_factory=list)
    text: Optional[str] = None

    def render(self, indent: int = 0) -> str:
        pad = "  " * indent
        attrs = "".join(f" {k}={quoteattr(str(v))}" for k, v in self.attributes.items())
        if self.text is not None:
            return f"{pad}<{self.tag}{attrs}>{escape(self.text)}</{self.tag}>"
        if not self.children:
            return f"{pad}<{self.tag}{attrs}/>"
        inner = "\n".join(child.render(indent + 1) for child in self.children)
        return f"{pad}<{self.tag}{attrs}>\n{inner}\n{pad}</{self.tag}>"


def node(tag: str, *children: Union[Node, None], text: Optional[object] = None, **attributes: object) -> Node:
    """``node("ok", to="end")``, ``node("arg", text="--conf")``; None children are skipped.
    Attribute names use ``_`` for ``-`` and ``xmlns_sla`` for ``xmlns:sla``."""
    names = {k.replace("xmlns_", "xmlns:").replace("_", "-"): str(v) for k, v in attributes.items() if v is not None}
    return Node(tag, names, [c for c in children if c is not None], None if text is None else str(text))


def document(root: Node) -> str:
    """The file's text: declaration, the tree, a final newline."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + root.render() + "\n"
