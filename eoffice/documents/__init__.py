"""The shared document core: document types, urgency and confidentiality, stored files, number series."""
