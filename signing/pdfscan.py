"""A flat scan of a PDF's bytes, before any parser reads it: active content and decompression bombs.

- **Active content**: names of actions that run code or reach outside the document when the file is opened or
  touched — ``/JS``, ``/JavaScript``, ``/Launch``, ``/SubmitForm``, ``/ImportData``, and additional actions
  ``/AA`` (an ``/OpenAction`` with JavaScript or a launch carries one of these). Names are compared after
  ``#xx`` escapes are decoded (``/J#61vaScript`` is ``/JavaScript``), in the file's dictionaries and in its
  compressed object streams; the bodies of other streams (page content, fonts, images) are binary data, not
  dictionaries, and are not searched (random bytes would otherwise look like names).
- **Decompression bomb**: every Flate stream is inflated with a bounded buffer; when the total inflated size
  exceeds both ``max_ratio`` times the file's size and ``max_inflated`` bytes, the scan stops and refuses.

Nothing here imports eoffice; :func:`signing.validation.check_pdf_acceptable` calls :func:`scan` and turns its
findings into a Vietnamese refusal.
"""

from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass, field

ACTIVE_NAMES = frozenset({b"JS", b"JavaScript", b"Launch", b"SubmitForm", b"ImportData", b"AA"})
MAX_RATIO = 100
MAX_INFLATED = 50 * 1024 * 1024

_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\]()\{\}%]*)")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_CHUNK = 1024 * 1024


@dataclass
class ScanResult:
    active: set[str] = field(default_factory=set)
    inflated: int = 0
    bomb: bool = False


def _names(data: bytes) -> set[bytes]:
    found = set()
    for match in _NAME.finditer(data):
        name = match.group(1)
        if b"#" in name:
            name = _HEX.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        found.add(name)
    return found


class _Bomb(Exception):
    pass


def _inflate(body: bytes, budget: list[int], keep: bool) -> bytes:
    """Inflate ``body`` (zlib/Flate), charging ``budget[0]``; raise :class:`_Bomb` when it runs out."""
    inflater = zlib.decompressobj()
    kept: list[bytes] = []
    data = body
    try:
        while data:
            chunk = inflater.decompress(data, _CHUNK)
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _Bomb
            if keep:
                kept.append(chunk)
            data = inflater.unconsumed_tail
            if not chunk and not data:
                break
            if inflater.eof:
                break
    except zlib.error:
        pass  # not Flate, or damaged: the parser decides whether the file is readable
    return b"".join(kept)


def scan(data: bytes, *, max_ratio: int = MAX_RATIO, max_inflated: int = MAX_INFLATED) -> ScanResult:
    result = ScanResult()
    limit = max(max_inflated, max_ratio * len(data))
    budget = [limit]
    outside: list[bytes] = []  # everything but stream bodies: the dictionaries and objects
    position = 0
    try:
        for match in _STREAM.finditer(data):
            start = match.end()
            if start < position:
                continue
            header = data[max(position, match.start() - 2048):match.start()]
            end = data.find(b"endstream", start)
            if end < 0:
                end = len(data)
            outside.append(data[position:match.start()])
            position = end
            header_names = _names(header[header.rfind(b"obj") + 1:] if b"obj" in header else header)
            if b"FlateDecode" not in header_names and b"Fl" not in header_names:
                continue
            is_objstm = b"ObjStm" in header_names
            body = data[start:end]
            if b"ASCII85Decode" in header_names or b"A85" in header_names:
                try:
                    body = base64.a85decode(body.strip().removesuffix(b"~>"))
                except ValueError:
                    continue
            inflated = _inflate(body, budget, keep=is_objstm)
            if is_objstm:
                outside.append(inflated)
        outside.append(data[position:])
    except _Bomb:
        result.bomb = True
    result.inflated = limit - budget[0]
    names = set()
    for part in outside:
        names |= _names(part)
    result.active = {n.decode("latin-1") for n in names & ACTIVE_NAMES}
    return result
