"""Parameters that come from a request (ids, numbers, dates, codes, file names), parsed in one place.

Whatever a person or a program sends in a path, a query string, a form or a JSON body is parsed here before it
reaches a query: out-of-range values (an id beyond 64 bits, the year 1 or 9999) and malformed ones ("abc", a code
with CR/LF) become a :class:`~eoffice.core.errors.DomainError` (400, Vietnamese message), never a database error
or a 500. Pages show the message; the API answers ``{"error": {...}}``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable

from eoffice.core.errors import DomainError

#: the largest primary key the database holds (a signed 64-bit integer, PostgreSQL ``bigint``)
MAX_ID = 2**63 - 1
#: the largest list of ids one request may name
MAX_IDS = 1000
#: dates a request may name: anything outside is not a date of this office's documents
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
MIN_YEAR, MAX_YEAR = MIN_DATE.year, MAX_DATE.year

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_DIGITS = re.compile(r"[0-9]{1,19}")


class ParameterError(DomainError):
    default_code = "invalid_parameter"


def _label(name: str | None) -> str:
    return f" {name}" if name else ""


DEFAULT_MAX_JSON_DEPTH = 32
DEFAULT_MAX_JSON_BYTES = 2 * 1024 * 1024


def json_depth(text: str) -> int:
    """The deepest nesting of arrays/objects in ``text`` (strings skipped), without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_bounded(raw: bytes | str, *, max_depth: int | None = None, max_bytes: int | None = None):
    """Decode JSON within the project's limits; :class:`ValueError` with a Vietnamese message otherwise."""
    from django.conf import settings

    max_depth = max_depth or getattr(settings, "EOFFICE_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH)
    max_bytes = max_bytes or getattr(settings, "EOFFICE_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES)
    if len(raw) > max_bytes:
        raise ValueError(f"Dữ liệu gửi lên quá lớn (tối đa {max_bytes // 1024} KB).")
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if text.count("[") + text.count("{") > max_depth and json_depth(text) > max_depth:
        raise ValueError(f"Dữ liệu JSON lồng quá sâu (tối đa {max_depth} cấp).")
    try:
        return json.loads(text)
    except RecursionError:  # belt and braces: the depth check above should have refused it
        raise ValueError("Dữ liệu JSON lồng quá sâu.") from None


def parse_int(value, *, name: str | None = None, default: int | None = None, minimum: int | None = None,
              maximum: int | None = None, code: str = "invalid_parameter") -> int | None:
    """An integer between ``minimum`` and ``maximum``; ``default`` when the value is absent or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        raise ParameterError(f"Tham số{_label(name)} phải là số.", code=code, details={"param": name})
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not re.fullmatch(r"-?[0-9]{1,19}", text):
            raise ParameterError(f"Tham số{_label(name)} phải là số.", code=code, details={"param": name})
        number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ParameterError(f"Tham số{_label(name)} nằm ngoài giới hạn cho phép.", code=code,
                             details={"param": name})
    return number


def parse_id(value, *, name: str | None = None, code: str = "bad_id") -> int:
    """A primary key: a positive integer that fits the database (1 … 2⁶³−1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not _DIGITS.fullmatch(text):
            raise ParameterError("Mã không hợp lệ.", code=code, details={"param": name} if name else None)
        number = int(text)
    if not 1 <= number <= MAX_ID:
        raise ParameterError("Mã không hợp lệ.", code=code, details={"param": name} if name else None)
    return number


def parse_optional_id(value, *, name: str | None = None, code: str = "bad_id") -> int | None:
    """:func:`parse_id`, or None when the parameter is absent or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_id(value, name=name, code=code)


def parse_ids(values: Iterable | str | None, *, name: str | None = None, limit: int = MAX_IDS,
              code: str = "bad_id") -> list[int]:
    """A list of primary keys: an iterable, or a comma-separated string (``?ids=1,2,3``); blanks skipped,
    duplicates removed (first occurrence kept); more than ``limit`` is refused."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    found: list[int] = []
    for value in values:
        if isinstance(value, str) and not value.strip():
            continue
        number = parse_id(value, name=name, code=code)
        if number not in found:
            found.append(number)
        if len(found) > limit:
            raise ParameterError(f"Quá nhiều mã trong một yêu cầu (tối đa {limit}).", code="too_many",
                                 details={"param": name} if name else None)
    return found


def parse_date(value, *, name: str | None = None, default: dt.date | None = None,
               code: str = "invalid_date") -> dt.date | None:
    """An ISO date (YYYY-MM-DD) between :data:`MIN_DATE` and :data:`MAX_DATE`; ``default`` when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        parsed = value
    else:
        text = str(value).strip()
        try:
            if len(text) != 10:
                raise ValueError
            parsed = dt.date.fromisoformat(text)
        except ValueError:
            raise ParameterError(f"Ngày không hợp lệ: {clean_text(text[:20])} (cần dạng YYYY-MM-DD).",
                                 code=code, details={"param": name}) from None
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise ParameterError(f"Ngày {parsed.isoformat()} nằm ngoài khoảng cho phép "
                             f"({MIN_DATE.year}–{MAX_DATE.year}).", code=code, details={"param": name})
    return parsed


def parse_year(value, *, name: str | None = "year", default: int | None = None, code: str = "bad_year") -> int | None:
    """A calendar year this office can have documents of (1900 … 2999)."""
    return parse_int(value, name=name, default=default, minimum=MIN_YEAR, maximum=MAX_YEAR, code=code)


def parse_code(value, *, name: str | None = None, default: str | None = None, code: str = "invalid_code") -> str | None:
    """A short machine code (a number series ``di-mat``, a document type ``cong-van``): ASCII letters, digits,
    ``-``, ``_``, ``.``; never spaces, quotes or line breaks, so it is safe in a header or a file name."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = str(value).strip()
    if not _CODE.fullmatch(text):
        raise ParameterError(f"Mã{_label(name)} không hợp lệ.", code=code, details={"param": name})
    return text


def clean_text(value: str) -> str:
    """``value`` without control characters (CR, LF, tab, NUL …), composed (NFC): safe for one line."""
    value = unicodedata.normalize("NFC", value)
    return "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")


def safe_filename(value: str, *, fallback: str = "tep") -> str:
    """A file name for ``Content-Disposition``: ASCII letters, digits, ``-``, ``_``, ``.``; everything else
    (quotes, CR/LF, slashes, diacritics) replaced, so no header can be split or a path named."""
    folded = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", folded).strip("-.")[:150]
    return name or fallback
