"""The demo province (agencies, units, people with a login for every role) and a working day of documents in it.

Above every domain app: it builds its data through the same actions people use (docs/ARCHITECTURE.md)."""
