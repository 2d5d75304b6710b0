"""Behaviour and transactions. Surfaces call these; these call repositories."""
