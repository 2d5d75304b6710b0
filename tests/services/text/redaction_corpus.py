"""A corpus for measuring redaction: fake secrets (none real) and ordinary code and prose."""

from __future__ import annotations

import random

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _r(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def fake_secrets(seed: int = 5) -> list[tuple[str, str]]:
    """(text holding one fake secret, the secret) — 50 of them, in realistic surroundings."""
    rng = random.Random(seed)
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    out: list[tuple[str, str]] = []
    for i in range(5):
        key = "AKIA" + _r(rng, 16, upper)
        out.append((f"aws_access_key_id = {key}\nregion = eu-west-1", key))
        secret = _r(rng, 40, ALNUM + "/+")
        out.append((f'export AWS_SECRET_ACCESS_KEY="{secret}"', secret))
        gh = "ghp_" + _r(rng, 36)
        out.append((f"I used the token {gh} to push the fix.", gh))
        ant = "sk-ant-api03-" + _r(rng, 90, ALNUM + "-_")
        out.append((f"ANTHROPIC_API_KEY={ant}", ant))
        oai = "sk-proj-" + _r(rng, 48, ALNUM + "-_")
        out.append((f'client = OpenAI(api_key="{oai}")', oai))
        jwt = "eyJ" + _r(rng, 30) + ".eyJ" + _r(rng, 60) + "." + _r(rng, 43, ALNUM + "-_")
        out.append((f"Authorization: Bearer {jwt}", jwt))
        pw = _r(rng, 14)
        out.append((f"DATABASE_URL=postgresql://app:{pw}@db.internal:5432/prod", pw))
        pem = "\n".join(_r(rng, 64, ALNUM + "+/") for _ in range(4))
        out.append(
            (f"key:\n-----BEGIN RSA PRIVATE KEY-----\n{pem}\n-----END RSA PRIVATE KEY-----\ndone", pem)
        )
        stripe = "sk_live_" + _r(rng, 24)
        out.append((f"stripe.api_key = '{stripe}'", stripe))
        generic = _r(rng, 8) + "-" + _r(rng, 12)
        kind = ["client_secret", "API_KEY", "password", "db_password", "SECRET_KEY"][i]
        out.append((f"{kind}: {generic}", generic))
    return out


CODE = [
    "def add(a: int, b: int) -> int:\n    return a + b",
    "token = get_token()",
    "password_hash = hash_password(password)",
    "def check_password(candidate: str, stored: str) -> bool:",
    "api_key: str = Field(description='the key')",
    "secret_name = os.environ['SECRET_NAME']",
    "AUTH_HEADER = 'Authorization'",
    "session_token_ttl = 3600",
    "if not token:\n    raise Unauthorized()",
    "headers = {'Authorization': f'Bearer {token}'}",
    "password = getpass.getpass()",
    "const apiKey = process.env.API_KEY;",
    "SELECT id, name FROM projects WHERE status = 'active'",
    "git commit -m 'fix: retry on 503'",
    "commit 3f2a9c1e4b7d8e6f5a4b3c2d1e0f9a8b7c6d5e4f",
    "uuid = 7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "docker run -p 5432:5432 postgres:15",
    "https://github.com/acme/widgets/pull/42",
    "pip install 'sqlalchemy>=2.0,<2.2'",
    "logger.info('token refreshed for %s', user_id)",
    "x = np.linspace(0, 1, 100)",
    "for i in range(len(items)):\n    total += items[i]",
    "CREATE INDEX ix_sessions_started ON sessions (started_at);",
    "export PATH=$HOME/.local/bin:$PATH",
    "credentials = load_credentials(path)",
    "tokenizer = AutoTokenizer.from_pretrained(model_name)",
    "max_tokens = 4096",
    "secret_sauce = 'ranking by bm25'",
    "password_min_length = 12",
    "The auth_token field is optional.",
]
PROSE = [
    "We decided to keep retries idempotent by sending an idempotency key with every capture.",
    "The reaper ended sessions that were still running after the timeout.",
    "Database migrations run on startup; a newer schema is refused with one line.",
    "The secret to fast search is ranking only the page, not every match.",
    "Users reported that the token counter overflowed at 10,000 sessions a year.",
    "Password resets now expire after 30 minutes.",
    "Next step: add a regression test for the rounding bug in invoices.",
    "The API key rotation runbook lives in docs/operations.md.",
    "Claude Code starts the MCP server in the launch directory.",
    "We chose FTS5 with the porter tokenizer for stemming on SQLite.",
]


def ordinary(seed: int = 9, count: int = 200) -> list[str]:
    """Ordinary snippets: code, prose, identifiers, hashes and URLs that are not secrets."""
    rng = random.Random(seed)
    base = CODE + PROSE
    out = list(base)
    names = ["user", "project", "session", "context", "invoice", "widget", "order", "report"]
    while len(out) < count:
        n = rng.choice(names)
        out.append(
            rng.choice(
                [
                    f"def load_{n}({n}_id: str) -> {n.title()}:",
                    f"{n}_count = len({n}s)",
                    f"The {n} page shows {rng.randint(2, 90)} rows per screen.",
                    f"assert {n}.status == 'active', {n}.id",
                    f"curl -s http://127.0.0.1:8765/api/v1/{n}s?limit={rng.randint(1, 99)}",
                    f"sha256: {''.join(rng.choice('0123456789abcdef') for _ in range(64))}",
                    f"# TODO({n}): handle the empty case",
                    f"{n}_token_budget = {rng.randint(100, 5000)}",
                ]
            )
        )
    return out[:count]
