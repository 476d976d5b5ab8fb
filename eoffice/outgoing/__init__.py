"""Outgoing dispatches (văn bản đi): drafting, review, signing, numbering, sealing, release, delivery, recall."""
