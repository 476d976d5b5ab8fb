"""The floor every app stands on: the domain error and nothing that knows about the web or the API."""
