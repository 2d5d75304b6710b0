"""Access: who may use a team server and what they may do — people, personal tokens, project grants
and the audit trail of every read, change and refusal.

May call: `projects` (to name the projects grants and tokens refer to), `text` and the kernel
(`base`, `caller`, `principal`). Every other domain checks a request's principal
(`aidis.services.principal`, in the kernel) rather than calling this domain.

- `tokens`  the token format, its hash and the constant-time check
- `team`    users, tokens, grants (the service surfaces use, with `authentication` as its base)
- `authentication`  the one place a credential becomes a principal
- `audit`   the append-only trail: changes in their own transaction, reads batched
- `identity_provider`  single sign-on: the OpenID Connect flow and the provider's bearer JWTs
  (loaded only when configured)
"""

from aidis.services.access.team import TeamService, check_user_name, expires_from, parse_role

__all__ = ["TeamService", "check_user_name", "expires_from", "parse_role"]
