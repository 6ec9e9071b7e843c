"""The interface every publisher reader honours."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class RawTable:
    """One file as published, cells kept as text.

    `frame` has a `date` column and the value columns, named in lower case; every cell is a
    `str` (missing cells are ""). `first_line` is the file line number of `frame`'s first row
    (the header is line 1), so messages can name the row a user would find in an editor.
    `digest` is the SHA-256 of the bytes as received ("" when unknown): ingest uses it to see
    that a file has not changed since it was last loaded.
    """

    frame: pd.DataFrame
    origin: str
    publisher: str
    first_line: int = 2
    digest: str = ""

    def line_of(self, position: int) -> int:
        """File line number of the row at integer position `position` of `frame`."""
        return self.first_line + position


def digest_of(content: bytes | str) -> str:
    """SHA-256 of a file's content, as `RawTable.digest` records it."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


class SourceUnavailable(Exception):
    """The publisher could not be reached or the transfer failed (timeout, HTTP error, cut body).

    The caller may fall back to the bundled snapshot when that is allowed.
    """

    def __init__(self, origin: str, reason: str):
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class BadFile(Exception):
    """The file arrived but fails as a whole: not CSV, an HTML page, required columns missing.

    Nothing from it may be loaded; `rule` names the rule broken for the rejected-rows record.
    """

    def __init__(self, origin: str, rule: str, detail: str, column: str | None = None):
        super().__init__(f"{origin}: {detail} (rule: {rule})")
        self.origin = origin
        self.rule = rule
        self.detail = detail
        self.column = column
