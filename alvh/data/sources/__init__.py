"""Readers for the publishers behind one interface: each returns a `RawTable` of text cells.

Parsing and validation of the cells happen in `alvh.data.validation`, the same for every publisher,
so a
bad value from Cboe and a bad value in the bundled snapshot are judged by the same rules.
"""

from alvh.data.sources.base import BadFile, RawTable, SourceUnavailable

__all__ = ["BadFile", "RawTable", "SourceUnavailable"]
