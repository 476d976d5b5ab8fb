"""Work that spans both directions: the inbox of incoming and outgoing steps, and drafting a reply to an incoming
dispatch. The only app that knows both ``eoffice.incoming`` and ``eoffice.outgoing``."""
