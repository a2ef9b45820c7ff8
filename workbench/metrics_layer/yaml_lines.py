"""Read YAML while remembering where each value came from, so a validation error names the line.

PyYAML's safe loader builds plain dicts and lists; this one builds :class:`LineDict` / :class:`LineList`
(still a dict / list) that also know their own line and the line of each key or item. Only the safe
subset of YAML is read (no Python objects).
"""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict):
    """A mapping from YAML; ``line`` is where it starts, ``lines[key]`` where each key is (1-based)."""

    line: int = 0
    lines: dict

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class LineList(list):
    """A sequence from YAML; ``line`` is where it starts, ``lines[i]`` where item ``i`` is (1-based)."""

    line: int = 0
    lines: list

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.lines = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) or key is None:
                mapping.lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node, deep=False):
        seq = LineList(super().construct_sequence(node, deep=True))
        seq.line = node.start_mark.line + 1
        seq.lines = [item.start_mark.line + 1 for item in node.value]
        return seq


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``line`` says where the parser stopped (1-based)."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def load(text: str) -> Any:
    """Parse YAML text into LineDict / LineList / scalars.

    Raises
    ------
    YamlSyntaxError with the line of the problem.
    """
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise YamlSyntaxError(f"{exc.problem or exc.context or 'not valid YAML'}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), 0) from None
