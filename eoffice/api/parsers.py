"""The JSON parser of every API body: bounded in size and nesting, so hostile JSON is a 400, never a 500.

Python's ``json`` recurses once per nesting level: a body of 100,000 ``[`` raises ``RecursionError``, which DRF's
own parser does not catch. This parser reads at most ``EOFFICE_MAX_JSON_BYTES``, measures the nesting depth with a
flat scan before decoding (no recursion), refuses deeper than ``EOFFICE_MAX_JSON_DEPTH``, and maps any decoder
failure to :class:`~rest_framework.exceptions.ParseError` (the structured ``parse_error`` answer).
"""

from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from eoffice.core.params import DEFAULT_MAX_JSON_BYTES, loads_bounded
from eoffice.core.text import nfc_data, nfc_querydict


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a size and depth limit (settings ``EOFFICE_MAX_JSON_BYTES``/``_DEPTH``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        max_bytes = getattr(settings, "EOFFICE_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES)
        raw = stream.read(max_bytes + 1) if stream is not None else b""
        try:
            text = codecs.decode(raw, encoding) if isinstance(raw, bytes) else raw
            data = loads_bounded(text if len(raw) <= max_bytes else raw, max_bytes=max_bytes)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            message = str(exc) if isinstance(exc, ValueError) and str(exc).startswith("Dữ liệu") else None
            raise ParseError(message or "Dữ liệu JSON không đọc được.") from None
        return nfc_data(data)


class NFCFormParser(FormParser):
    """URL-encoded forms with every value in NFC."""

    def parse(self, stream, media_type=None, parser_context=None):
        return nfc_querydict(super().parse(stream, media_type, parser_context))


class NFCMultiPartParser(MultiPartParser):
    """Multipart forms (uploads) with every text value in NFC."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        return type(result)(nfc_querydict(result.data), result.files)


#: every API body: JSON, forms and uploads (``DEFAULT_PARSER_CLASSES``; views naming their own use these too)
PARSER_CLASSES = [BoundedJSONParser, NFCFormParser, NFCMultiPartParser]
