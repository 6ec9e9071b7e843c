"""Position ids that cannot pass for another id (issue 15): refused at import.

An id is shown in tables, reports and emails, and two ids that print alike are two positions a
reader takes for one: `IC\u200b-2026-09` shows as a second "IC-2026-09". So an id may not carry
what does not print or prints as something else: leading or trailing white space, invisible
format characters (zero-width, joiners, the byte-order mark), bidirectional overrides and
isolates (they reorder what follows), C0 and C1 control characters (U+0085 is a line break, and
U+009B a terminal's escape introducer), line and paragraph separators, white space other than
the plain space, and characters that Unicode's compatibility normalisation (NFKC) would change
(fullwidth letters, ligatures, decomposed accents).
"""

from __future__ import annotations

import unicodedata

# Unicode general categories that never belong in an id: controls (Cc), format characters (Cf:
# zero-width, bidi, BOM), surrogates (Cs), private use (Co), unassigned (Cn), line (Zl) and
# paragraph (Zp) separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def position_id_problem(position_id: str) -> tuple[str, str] | None:
    """(rule, explanation) when the id could be mistaken for another, else None."""
    if position_id != position_id.strip():
        return "surrounding_space", "starts or ends with white space"
    for index, char in enumerate(position_id):
        category = unicodedata.category(char)
        name = unicodedata.name(char, f"(a control character, category {category})")
        where = f"U+{ord(char):04X} {name} at position {index + 1}"
        if category in _REFUSED_CATEGORIES:
            return "invisible_character", f"contains an invisible or control character ({where})"
        if category == "Zs" and char != " ":
            return "unusual_space", f"contains a space other than U+0020 ({where})"
    if unicodedata.normalize("NFKC", position_id) != position_id:
        normal = unicodedata.normalize("NFKC", position_id)
        return "not_normalised", f"prints like {normal!r}: write it in that form (Unicode NFKC)"
    return None
