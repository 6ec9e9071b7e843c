"""Real option quotes in (issue 11): one reader per file format behind `read_quotes`, the
validation rules every format shares, and storing per `as_of` with the import that wrote it.

    from alvh.data.quotes import read_quotes
    quotes = read_quotes("spx_quotedata.csv")      # format detected from the file
    quotes.frame                                  # as_of, quote_time, root, expiry, strike,
                                                  # type, bid, ask, underlying, line
    quotes.timing, quotes.session, quotes.quote_time   # what the header says
"""

from alvh.data.quotes.base import QUOTE_COLUMNS, QuoteFile, QuoteFileError
from alvh.data.quotes.reader import FORMATS, detect_format, read_quotes

__all__ = [
    "FORMATS",
    "QUOTE_COLUMNS",
    "QuoteFile",
    "QuoteFileError",
    "detect_format",
    "read_quotes",
]
