"""Usage and cost: the tokens each session's models used, by UTC hour (the stored fact, recorded from
the transcripts the agents keep), the prices they are worth on the day they were used (derived: a
maintained price library's data, overridden by the user's own price file), and the reports a user asks
for — per day, week, month, session and project, by agent, model and person.

May call: `projects`, the kernel. `agents` calls it (`recording`) to store what a transcript read found.
"""

__all__ = ["lines", "prices", "recording", "reports"]
