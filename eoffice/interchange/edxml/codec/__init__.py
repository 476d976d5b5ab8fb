"""Build and parse edXML messages and status messages (QCVN 102:2016/BTTTT).

Layout of a message, as the standard and the public SDKs write it (one namespace, ``edXML:`` prefix inside
the envelope, default namespace for the attachments beside it)::

    <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
      <edXML:edXMLEnvelope xmlns:edXML="...">
        <edXML:edXMLHeader>
          <edXML:MessageHeader> From, To+, Code, PromulgationInfo, DocumentType, Subject, Content, SignerInfo,
                                DueDate, ToPlaces, OtherInfo, ResponseFor*, SteeringType, DocumentId
          <edXML:TraceHeaderList> TraceHeader*, Bussiness
          <ds:Signature> (enveloped, covers the whole document)
        <edXML:edXMLBody>
          <edXML:edXMLManifest version="1.0"> Reference* (xlink:href="cid:...")
      <AttachmentEncoded>
        <Attachment> ContentType, ContentId, Description, AttachmentName, ContentTransferEncoded (base64)

A status message is ``<Status>`` with ``edXML:Header/edXML:MessageStatus`` (ResponseFor, From, To, StatusCode,
Description, Timestamp, StaffInfo) and its signature in ``edXML:Header``.

``parse_*`` either returns a complete, verified result or raises an ``EdxmlRefused`` whose Vietnamese reason is
ready for a status 02 answer.

Modules: ``base`` (namespace, formats, shared element helpers), ``header`` (MessageHeader, TraceHeaderList),
``attachments`` (manifest and encoded files), ``message`` (build/parse a message), ``status`` (build/parse a status
message, refusals).
"""

from .base import (
    DATE_FORMAT,
    ENVELOPE,
    HEADER,
    NS,
    ROOT,
    STATUS_HEADER,
    STATUS_ROOT,
    TIMESTAMP_FORMAT,
    VN_TZ,
    XLINK_NS,
)
from .message import (
    build_message,
    message_to_xml,
    parse_message,
)
from .status import (
    build_status,
    parse_status,
    refusal_status,
    status_to_xml,
)

__all__ = [
    "DATE_FORMAT",
    "ENVELOPE",
    "HEADER",
    "NS",
    "ROOT",
    "STATUS_HEADER",
    "STATUS_ROOT",
    "TIMESTAMP_FORMAT",
    "VN_TZ",
    "XLINK_NS",
    "build_message",
    "build_status",
    "message_to_xml",
    "parse_message",
    "parse_status",
    "refusal_status",
    "status_to_xml",
]
