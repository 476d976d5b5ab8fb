"""PAdES signing and validation with pyHanko: key sources, the Decree 30 layout, validation, long-term validation
and the development PKI."""
