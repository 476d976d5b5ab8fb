"""Liên thông (interconnection): exchange of documents between agencies.

Subpackages hold the pure libraries (``edxml`` is the QCVN 102:2016 codec); delivery, transport and the
mapping to documents live beside them and call those libraries.
"""
