"""Registry files in, rows with their line numbers out.

- YAML or JSON holding a mapping: a campaign document (``tracker.campaign.v1``,
  layout in ``tracker/simulate/registry.py``); every list item keeps the line it
  starts on.
- CSV (UTF-8, with or without BOM), XLSX (first sheet; openpyxl), a YAML/JSON
  list of objects, or JSON Lines (``.jsonl``/``.ndjson``, or a ``.json`` file
  holding one object per line): a flat table, one row per post (or per heating
  node), the header on the first non-empty line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from tracker.errors import InvalidInput


@dataclass
class Row:
    """One record of the file: where it is (for reports) and its values."""

    line: int | None
    values: dict[str, Any]
    where: str = ""
    problem: str = ""
    """Why the record is not a clean row (a CSV quote left open, more cells than the header);
    its values are then a best guess and readers refuse it with this reason."""

    def label(self) -> str:
        at = f"line {self.line}" if self.line else "line ?"
        return f"{at} ({self.where})" if self.where else at


@dataclass
class Document:
    """A parsed file: a campaign document (sections of rows) or one flat table."""

    kind: str  # "campaign" or "table"
    sections: dict[str, list[Row]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    data: Any = None
    """A YAML/JSON file's whole parsed value (other readers of a mapping use it)."""
    epoch: datetime | None = None
    """An XLSX workbook's date system: the day its Excel date serials (a General cell's number for a
    date) count from, 1899-12-30 or 1904-01-01; None for other files."""


def read(path: Path) -> Document:
    """Parse ``path`` by its suffix; raises InvalidInput with what to fix."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    if suffix in (".jsonl", ".ndjson"):
        return json_lines(path.read_bytes())
    if suffix in (".yaml", ".yml", ".json"):
        raw = path.read_bytes()
        if suffix == ".json" and _looks_like_lines(raw):
            return json_lines(raw)
        return _structured(raw, suffix == ".json")
    if suffix == ".csv":
        return _csv(path.read_bytes())
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx(path)
    raise InvalidInput(
        f"{path}: unsupported file type {suffix or '(none)'}; use .csv, .xlsx, .json, .jsonl or .yaml"
    )


def yaml_problem(exc: yaml.YAMLError) -> str:
    """Where and what of a YAML syntax error: ``line 2, column 4: expected ',' or ']', but got ':'``."""
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(exc).splitlines()[0]


def named(path: Path, exc: Exception) -> str:
    """``<path>: <reason>`` of an error about a file, naming the path once (``read``'s reasons
    for a missing or unsupported file start with it already)."""
    reason = str(getattr(exc, "reason", exc))
    return reason if reason.startswith(f"{path}:") else f"{path}: {reason}"


def _looks_like_lines(raw: bytes) -> bool:
    """A ``.json`` file whose first two non-empty lines are each a whole JSON object."""
    lines = [line for line in raw.splitlines() if line.strip()][:2]
    if len(lines) < 2:
        return False
    try:
        return all(isinstance(orjson.loads(line), dict) for line in lines)
    except orjson.JSONDecodeError:
        return False


def json_lines(raw: bytes) -> Document:
    """One row per line; a line that is not JSON is a row refused with that reason (one bad
    line of a long export must not cost the others)."""
    rows: list[Row] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            rows.append(Row(number, {}, problem=f"not valid JSON ({str(exc).splitlines()[0]})"))
            continue
        if isinstance(item, dict):
            rows.append(Row(number, item))
        else:
            rows.append(Row(number, {}, problem=f"not a JSON object (a {type(item).__name__}): one row per line"))
    return Document("table", rows=rows, headers=sorted({k for r in rows for k in r.values}))


def _structured(raw: bytes, is_json: bool) -> Document:
    try:
        data = orjson.loads(raw) if is_json else yaml.load(raw, Loader=yaml.CSafeLoader)  # noqa: S506 - safe loader
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {str(exc).splitlines()[0]}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {yaml_problem(exc)}") from None
    lines = _item_lines(raw)
    if isinstance(data, list):
        rows = [_row(item, lines.get(("", i)), f"item {i + 1}") for i, item in enumerate(data)]
        return Document("table", rows=rows, headers=sorted({k for r in rows for k in r.values}))
    if not isinstance(data, dict):
        raise InvalidInput("the file holds neither a campaign document (a mapping) nor a list of rows")
    doc = Document("campaign", meta={k: v for k, v in data.items() if not isinstance(v, list)}, data=data)
    for name, items in data.items():
        if isinstance(items, list):
            doc.sections[name] = [_row(item, lines.get((name, i)), f"{name}[{i}]") for i, item in enumerate(items)]
    return doc


def _row(item: Any, line: int | None, where: str) -> Row:
    return Row(line, item if isinstance(item, dict) else {"__invalid__": item}, where)


def _item_lines(raw: bytes) -> dict[tuple[str, int], int]:
    """(section, index) → 1-based line of each list item, from the YAML node tree (JSON is YAML too)."""
    try:
        root = yaml.compose(raw, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return {}
    out: dict[tuple[str, int], int] = {}
    if isinstance(root, yaml.SequenceNode):
        for i, node in enumerate(root.value):
            out[("", i)] = node.start_mark.line + 1
    elif isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(value, yaml.SequenceNode):
                for i, node in enumerate(value.value):
                    out[(key.value, i)] = node.start_mark.line + 1
    return out


def _csv(raw: bytes) -> Document:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # Chinese Excel saves CSV in GBK
        except UnicodeDecodeError:
            raise InvalidInput("CSV is neither UTF-8 nor GB18030: save it as UTF-8") from None
    headers: list[str] = []
    rows: list[Row] = []
    for line, record, problem in _records(text):
        if not any(cell.strip() for cell in record):
            continue
        if not headers:
            if problem:
                raise InvalidInput(f"line {line} (the header): {problem}")
            headers = [h.strip() for h in record]
            continue
        cells = len(record) - next((i for i, c in enumerate(reversed(record)) if c.strip()), 0)
        if not problem and cells > len(headers):
            problem = f"{cells} cells, the header has {len(headers)}"
        values = {h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(headers) if h}
        rows.append(Row(line, values, "", problem))
    if not headers:
        raise InvalidInput("the CSV file is empty (no header line)")
    return Document("table", rows=rows, headers=headers)


def _records(text: str) -> Iterator[tuple[int, list[str], str]]:
    """(first line, cells, problem) of each CSV record. A quote that is never closed would
    swallow every line after it: its line is reported and reading resumes on the next one."""
    lines = io.StringIO(text, newline="").readlines()
    done = 0  # lines read
    while done < len(lines):
        start = done
        reader = csv.reader(lines[start:], strict=True)
        try:
            for record in reader:
                first, done = done + 1, start + reader.line_num
                yield first, record, ""
            return
        except csv.Error as exc:
            if start + reader.line_num > done + 1 or "end of data" in str(exc):
                reason = 'a quote (") is not closed on this line'
            elif "expected after" in str(exc):
                reason = 'text after the closing quote of a cell; write "" for a quote inside a quoted cell'
            else:
                reason = f"not valid CSV ({exc})"
            yield done + 1, next(csv.reader([lines[done]]), []), reason
            done += 1


def _xlsx(path: Path) -> Document:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for broken files
        raise InvalidInput(f"not a readable XLSX file: {exc}") from None
    epoch = book.epoch  # read before close()
    try:
        sheet = book.worksheets[0]
        headers: list[str] = []
        rows: list[Row] = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not any(cell not in (None, "") for cell in record):
                continue
            if not headers:
                headers = ["" if cell is None else str(cell).strip() for cell in record]
                continue
            values = {h: (record[i] if i < len(record) else None) for i, h in enumerate(headers) if h}
            rows.append(Row(number, {k: v.strip() if isinstance(v, str) else v for k, v in values.items()},
                            f"sheet {sheet.title!r}"))
    finally:
        book.close()
    if not headers:
        raise InvalidInput("the first sheet is empty (no header row)")
    return Document("table", rows=rows, headers=headers, epoch=epoch)
