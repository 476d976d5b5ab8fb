"""Typed refusals for edXML messages.

Every reason a received message can be refused is an ``EdxmlRefused`` carrying a short machine code and a
Vietnamese reason that can be sent back as it is in a status 02 (từ chối tiếp nhận) message. A parser raises
one of these and never returns a half-parsed result, so callers have exactly two outcomes to handle.
"""

from __future__ import annotations

REFUSED_STATUS_CODE = "02"


class EdxmlRefused(Exception):
    """A message (or a message we were asked to build) that the standard or our policy does not accept.

    ``code`` is stable and meant for logs, metrics and tests; ``reason_vi`` is the text for people and for the
    ``Description`` of the status 02 answer.
    """

    status_code = REFUSED_STATUS_CODE
    #: Set by the parsers when the refusal came after the XML signature verified (the certificate that signed): the
    #: sender is then known, and may be answered with a signed status; before that, nothing is known of it.
    verified_certificate = None

    def __init__(self, code: str, reason_vi: str) -> None:
        super().__init__(f"{code}: {reason_vi}")
        self.code = code
        self.reason_vi = reason_vi


class UnsafeXml(EdxmlRefused):
    """The bytes are not XML we are willing to parse (DTD, entities, malformed, wrong encoding)."""


class LimitExceeded(EdxmlRefused):
    """The message is larger than the configured limits (whole message, attachment, count, field length)."""


class InvalidStructure(EdxmlRefused):
    """The XML is well formed but is not an edXML message we can accept (namespace, missing or bad fields)."""


class SignatureRefused(EdxmlRefused):
    """The XML signature is absent, does not verify, or was made with a certificate we do not trust."""
