"""Edit a YAML document's text in place, leaving every byte it does not change as it was.

The merge of a revised script must change a few values in ``shotreel.yaml`` and keep everything
else a person wrote: comments, blank lines, key order, quoting, how long lines are folded. A
round-trip through a YAML library re-emits the whole document (ruamel.yaml's round-trip mode keeps
comments and order but refolds every long line: 80 changed lines on a no-op pass over the example
film), so this module splices text instead. The document is composed once with PyYAML, which
gives the exact start and end of every node; each operation becomes a splice of the original text:

- :meth:`YamlText.set` replaces a key's value (or adds the key after its neighbour in a block
  mapping); a flow value (``[a, b]``, ``{size: CU}``) is rewritten in flow style;
- :meth:`YamlText.delete` removes a key and its value lines;
- :meth:`YamlText.arrange` gives a block sequence its new order of old items and new ones; each
  old item moves with the comments and blank lines above it, new items are written in the
  sequence's own indentation and spacing.

:meth:`YamlText.render` applies them all (edits inside a moved item move with it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_UNSAFE_PLAIN = re.compile(r"^[-?:,\[\]{}#&*!|>'\"%@`\s]|[\x00-\x1f\x7f\u2028\u2029\ufeff]|: |:$| #|\s$")


def dump_flow(value: Any) -> str:
    """``value`` as one line of flow YAML: ``[a, b]``, ``{size: CU}``, ``plain text`` or ``'quoted: text'``."""
    text = yaml.dump([value], Dumper=yaml.SafeDumper, default_flow_style=True, sort_keys=False, allow_unicode=True,
                     width=1 << 30).strip()
    return text[1:-1]


def dump_document(data: dict, header: str = "") -> str:
    """Plain data (dicts, lists, text, numbers) as block YAML in shotreel's layout, fast.

    The same layout as :func:`shotreel.project.dump_film` (lists indented under their key), but long
    lines are not folded and text that cannot be plain is double-quoted; it writes a 120-page
    script's project in a few hundredths of a second where PyYAML's pure-Python emitter takes 1.5 s.
    ``header`` becomes leading comment lines.
    """
    rows = [f"# {line}" if line else "#" for line in header.splitlines()]
    _emit_mapping(data, 0, rows)
    return "\n".join(rows) + "\n"


_NOT_TEXT_WORDS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n"}


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        if not value or _UNSAFE_PLAIN.search(value):
            return json.dumps(value, ensure_ascii=False)
        if value[0].isalpha() and value.lower() not in _NOT_TEXT_WORDS:
            return value  # only numbers, booleans and null resolve to anything but text
        if _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == "tag:yaml.org,2002:str":
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _emit_mapping(data: dict, indent: int, rows: list[str], first: str = "") -> None:
    pad = " " * indent
    for number, (key, value) in enumerate(data.items()):
        lead = first if number == 0 and first else pad
        if isinstance(value, dict) and value:
            rows.append(f"{lead}{_scalar(str(key))}:")
            _emit_mapping(value, indent + 2, rows)
        elif isinstance(value, list) and value:
            rows.append(f"{lead}{_scalar(str(key))}:")
            _emit_list(value, indent + 2, rows)
        else:
            empty = "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else _scalar(value)
            rows.append(f"{lead}{_scalar(str(key))}: {empty}")


def _emit_list(items: list, indent: int, rows: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            _emit_mapping(item, indent + 2, rows, first=f"{pad}- ")
        elif isinstance(item, list) and item:
            rows.append(f"{pad}-")
            _emit_list(item, indent + 2, rows)
        else:
            rows.append(f"{pad}- {'{}' if isinstance(item, dict) else '[]' if isinstance(item, list) else _scalar(item)}")


@dataclass
class _Edit:
    start: int
    end: int
    render: Callable[[], str]


@dataclass
class New:
    """A new item for :meth:`YamlText.arrange`: plain data to write."""

    value: Any


class YamlText:
    """A YAML document's text plus pending edits addressed by node."""

    def __init__(self, text: str):
        self.text = text
        self.root = yaml.compose(text, Loader=_Loader)
        self.edits: list[_Edit] = []

    # -- finding nodes -----------------------------------------------------------------------------
    def node(self, *path: Any) -> yaml.Node:
        """The node at ``path`` (mapping keys and sequence indexes); KeyError when absent."""
        node = self.root
        for step in path:
            if isinstance(node, yaml.MappingNode):
                node = self.entry(node, step)[1]
            elif isinstance(node, yaml.SequenceNode):
                node = node.value[step]
            else:
                raise KeyError(step)
        return node

    @staticmethod
    def entry(mapping: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node]:
        """The key and value nodes of ``key`` in ``mapping``; KeyError when absent."""
        for key_node, value_node in mapping.value:
            if key_node.value == key:
                return key_node, value_node
        raise KeyError(key)

    @staticmethod
    def has(mapping: yaml.Node, key: str) -> bool:
        """Whether ``mapping`` is a mapping holding ``key``."""
        return isinstance(mapping, yaml.MappingNode) and any(k.value == key for k, _ in mapping.value)

    # -- positions ---------------------------------------------------------------------------------
    def content_end(self, node: yaml.Node) -> int:
        """Where the node's own text ends (block collections end with their last child)."""
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
            last = node.value[-1]
            return self.content_end(last[1] if isinstance(node, yaml.MappingNode) else last)
        end = node.end_mark.index
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            while end > node.start_mark.index and self.text[end - 1] in " \t\r\n":
                end -= 1
        if isinstance(node, yaml.ScalarNode) and node.value == "" and node.style is None:
            end = node.start_mark.index
        return end

    def line_start(self, index: int) -> int:
        """Index of the first character of the line that holds ``index``."""
        return self.text.rfind("\n", 0, index) + 1

    def line_end(self, index: int) -> int:
        """Index of the newline ending the line that holds ``index`` (or the end of the text)."""
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end

    def column(self, index: int) -> int:
        """Column (0-based) of ``index`` on its line."""
        return index - self.line_start(index)

    # -- operations --------------------------------------------------------------------------------
    def set(self, mapping: yaml.Node, key: str, value: Any, after: list[str] | None = None) -> None:
        """Give ``key`` the value ``value`` in ``mapping``, adding the key after the last of ``after``
        that exists (else after the last key) when it is missing."""
        if isinstance(mapping, yaml.MappingNode) and mapping.flow_style:
            self._rewrite_flow_mapping(mapping, key, value)
            return
        if self.has(mapping, key):
            key_node, value_node = self.entry(mapping, key)
            if isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode)) and value_node.flow_style \
                    and isinstance(value, (list, dict)):
                self.edits.append(_Edit(value_node.start_mark.index, value_node.end_mark.index,
                                        lambda: dump_flow(value)))
                return
            column = self.column(key_node.start_mark.index)
            flow_items = (isinstance(value_node, yaml.SequenceNode) and value_node.value
                          and isinstance(value_node.value[0], yaml.MappingNode) and value_node.value[0].flow_style)
            self.edits.append(_Edit(key_node.start_mark.index, self.content_end(value_node),
                                    lambda: self._entry_text(key, value, column, bool(flow_items))))
            return
        existing = [k.value for k, _ in mapping.value]
        anchor = next((k for k in reversed(after or []) if k in existing), existing[-1])
        anchor_key, anchor_value = self.entry(mapping, anchor)
        column = self.column(anchor_key.start_mark.index)
        at = self.line_end(self.content_end(anchor_value))
        self.edits.append(_Edit(at, at, lambda: "\n" + " " * column + self._entry_text(key, value, column)))

    def delete(self, mapping: yaml.Node, key: str) -> None:
        """Remove ``key`` and its value from ``mapping`` (with the lines they stood on)."""
        if not self.has(mapping, key):
            return
        if mapping.flow_style:
            self._rewrite_flow_mapping(mapping, key, _DELETE)
            return
        key_node, value_node = self.entry(mapping, key)
        start = self.line_start(key_node.start_mark.index)
        if self.text[start:key_node.start_mark.index].strip():  # the key shares its line (``- id: …``)
            start = key_node.start_mark.index
        end = self.line_end(self.content_end(value_node))
        self.edits.append(_Edit(start, min(end + 1, len(self.text)), lambda: ""))

    def arrange(self, parent: yaml.Node, key: str, order: list[int | New]) -> None:
        """Give the sequence at ``parent[key]`` the items ``order``: old item indexes and :class:`New` ones."""
        key_node, seq = self.entry(parent, key)
        if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
            old = yaml.safe_load(self.text[seq.start_mark.index:seq.end_mark.index]) \
                if isinstance(seq, yaml.SequenceNode) else []
            values = [item.value if isinstance(item, New) else old[item] for item in order]
            self.set(parent, key, values)
            return
        items = seq.value
        starts = [self.line_end(key_node.end_mark.index) + 1]
        ends = []
        for item in items:
            end = self.line_end(self.content_end(item)) + 1
            ends.append(min(end, len(self.text)))
            starts.append(ends[-1])
        blocks = list(zip(starts[:-1], ends))
        spaced = any(self.text[s:e].startswith("\n") for s, e in blocks[1:])
        dash = self._dash_column(items[0])
        if order == list(range(len(items))):
            return

        def render() -> str:
            out = []
            for position, item in enumerate(order):
                if isinstance(item, New):
                    rows: list[str] = []
                    _emit_list([item.value], dash, rows)
                    body = "\n".join(rows) + "\n"
                else:
                    body = self.apply(*blocks[item]).lstrip("\n") if spaced else self.apply(*blocks[item])
                    if not body.endswith("\n"):
                        body += "\n"
                out.append(("\n" if spaced and position > 0 else "") + body)
            return "".join(out)

        self.edits.append(_Edit(blocks[0][0], blocks[-1][1], render))

    # -- rendering ---------------------------------------------------------------------------------
    def render(self) -> str:
        """The document with every edit applied."""
        return self.apply(0, len(self.text))

    def apply(self, start: int, end: int) -> str:
        """The text from ``start`` to ``end`` with the edits inside it applied (nested edits once)."""
        inside = sorted((e for e in self.edits if start <= e.start and e.end <= end and
                         not (e.start == start and e.end == end and e.start != e.end and start != 0)),
                        key=lambda e: (e.start, -e.end))
        out: list[str] = []
        position = start
        for edit in inside:
            if edit.start < position:  # nested inside an edit already applied
                continue
            out.append(self.text[position:edit.start])
            out.append(edit.render())
            position = edit.end
        out.append(self.text[position:end])
        return "".join(out)

    # -- helpers -----------------------------------------------------------------------------------
    def _entry_text(self, key: str, value: Any, column: int, flow_items: bool = False) -> str:
        if flow_items and isinstance(value, list) and value:
            rows = [f"{key}:"] + [f"  - {dump_flow(item)}" for item in value]
        else:
            rows = []
            _emit_mapping({key: value}, 0, rows)
        return "\n".join([rows[0]] + [" " * column + row if row else row for row in rows[1:]])

    def _dash_column(self, item: yaml.Node) -> int:
        index = item.start_mark.index - 1
        while index >= 0 and self.text[index] in " \t\n":
            index -= 1
        return self.column(index) if index >= 0 and self.text[index] == "-" else self.column(item.start_mark.index)

    def _rewrite_flow_mapping(self, mapping: yaml.Node, key: str, value: Any) -> None:
        data = yaml.safe_load(self.text[mapping.start_mark.index:mapping.end_mark.index]) or {}
        if value is _DELETE:
            data.pop(key, None)
        else:
            data[key] = value
        self.edits.append(_Edit(mapping.start_mark.index, mapping.end_mark.index, lambda: dump_flow(data)))


_DELETE = object()
