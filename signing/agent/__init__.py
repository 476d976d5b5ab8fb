"""The reference signing agent: a small local service that signs with the official's PKCS#11 token.

Run it with ``python -m signing.agent`` (see ``README.md`` in this directory). It needs only the standard library,
python-pkcs11 and asn1crypto, never Django: it is installed on officials' computers, not on the server.
"""
