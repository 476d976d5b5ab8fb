"""SQLite's side of the append-only trail: the DELETE trigger (migration 0003) allows a delete only while this
process runs a whole-database flush (``manage.py flush``, the test database's reset), the equivalent of
PostgreSQL's TRUNCATE, which the row triggers there do not see either. The trigger asks the SQL function
``eoffice_audit_flushing()``; this module registers it on each of Django's connections. Any other program (the
``sqlite3`` shell) has no such function, so its DELETE fails too."""

from __future__ import annotations

import threading

_state = threading.local()


def _flushing() -> int:
    return 1 if getattr(_state, "flushing", False) else 0


def on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("eoffice_audit_flushing", 0, _flushing, deterministic=False)
    ops = connection.ops
    if getattr(ops, "_audit_flush_wrapped", False):
        return
    original = ops.execute_sql_flush

    def execute_sql_flush(sql_list):
        _state.flushing = True
        try:
            return original(sql_list)
        finally:
            _state.flushing = False

    ops.execute_sql_flush = execute_sql_flush
    ops._audit_flush_wrapped = True
