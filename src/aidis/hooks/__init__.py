"""Agent lifecycle hooks: a fast path per hook process (standard library only), the spool, and its
replay into the services. See docs/agents.md."""
