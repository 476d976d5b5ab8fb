"""Text as the office compares it: Unicode composed (NFC) at every boundary.

Vietnamese can be typed composed ("ế", one code point) or decomposed ("ê" + combining acute, NFD), as some
keyboards, macOS file names and PDFs produce. Both look the same and must match the same: text is normalised to NFC
where it enters (request parameters and bodies, forms, serializers: :func:`nfc_data`), where it is stored (the
``pre_save`` handler of :mod:`eoffice.core.apps`), and where it is compared (search folding, duplicate check,
numbering notation, logins).
"""

from __future__ import annotations

import unicodedata


def nfc(value):
    """``value`` in NFC when it is a string; anything else unchanged."""
    if isinstance(value, str) and not value.isascii():
        return unicodedata.normalize("NFC", value)
    return value


def nfc_data(data):
    """Strings anywhere in decoded JSON (dicts, lists) in NFC; keys too."""
    stack = [data]
    if isinstance(data, str):
        return nfc(data)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in list(item):
                value = item.pop(key)
                if isinstance(value, str):
                    value = nfc(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
                item[nfc(key)] = value
        elif isinstance(item, list):
            for index, value in enumerate(item):
                if isinstance(value, str):
                    item[index] = nfc(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
    return data


def nfc_querydict(query):
    """A copy of a Django ``QueryDict`` with every key and value in NFC (the original when already NFC)."""
    if all(nfc(k) == k and all(nfc(v) == v for v in vs) for k, vs in query.lists()):
        return query
    copy = query.copy()
    copy.clear()
    for key, values in query.lists():
        copy.setlist(nfc(key), [nfc(v) for v in values])
    copy._mutable = False
    return copy
