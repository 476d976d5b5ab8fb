"""Viewflow flows: how dispatches circulate (incoming.py, outgoing.py)."""
