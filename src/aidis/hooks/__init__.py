"""Agent lifecycle hooks, the fast path: one process per hook event, standard library only.

Owns the payload rules (`payload`), the local spool (`spool`) and the `aidis hook <agent>` entry point
(`fastpath`). Sits below the services (which read the payload rules) and imports nothing of AIDIS
beyond this package; the replayer that applies the spool is a surface, `aidis.replayer`, started as a
child process by name.
"""
