"""Development tooling of the signing library: nothing here runs in a deployment.

- :mod:`signing.dev.services`: the loopback CRL, OCSP, TSA and CA-certificate services a real certification
  authority provides, answered from the development PKI (``python -m signing.dev.services``).
- :mod:`signing.dev.softhsm`: SoftHSM2 tokens that behave like officials' USB tokens, for tests.

The development PKI itself (:mod:`signing.pki`) stays in the library: the embedded deployment signs with its key
stores when no ``SIGNING_KEYS_FILE`` is configured, and completes certificate chains with its intermediate.
"""
