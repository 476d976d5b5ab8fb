"""Incoming dispatches (văn bản đến): the receipt queue, registration, routing and handling."""
