"""Session handles: one names one connection of one person, for its stated lifetime, under this
install's secret — anything else is refused by field, with the same words for every forgery."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from aidis.enums import Role
from aidis.errors import Expired, InvalidInput
from aidis.services.access.session_handles import SessionHandles
from aidis.services.principal import Principal
from tests.support import FakeClock

ADA = Principal(uuid.uuid4(), "ada", is_admin=False, roles={uuid.uuid4(): Role.WRITE})
BOB = Principal(uuid.uuid4(), "bob", is_admin=False)


def _mint(handles: SessionHandles, who: Principal) -> tuple[str, str]:
    """A new connection for `who` and the handle that names it."""
    connection = handles.new_connection(who)
    handle = handles.renewed(connection, who)
    assert handle is not None
    return connection, handle


@pytest.fixture
def handles() -> SessionHandles:
    return SessionHandles(lambda: b"s" * 32, FakeClock(), timedelta(hours=24))


def test_a_new_handle_names_a_new_connection_of_its_person(handles: SessionHandles) -> None:
    first_connection, first = _mint(handles, ADA)
    second_connection, second = _mint(handles, ADA)
    assert first_connection != second_connection and first != second
    assert first_connection.startswith(f"u:{ADA.user_id}/handle:")
    assert handles.connection_for(first, ADA) == first_connection
    assert handles.connection_for(second, ADA) == second_connection


def test_another_persons_handle_is_refused_like_a_forged_one(handles: SessionHandles) -> None:
    _, mine = _mint(handles, ADA)
    with pytest.raises(InvalidInput) as theirs:
        handles.connection_for(mine, BOB)
    with pytest.raises(InvalidInput) as local:
        handles.connection_for(mine, None)
    forged = mine[:-1] + ("A" if mine[-1] != "A" else "B")
    with pytest.raises(InvalidInput) as tampered:
        handles.connection_for(forged, ADA)
    other_install = SessionHandles(lambda: b"t" * 32, FakeClock(), timedelta(hours=24))
    with pytest.raises(InvalidInput) as elsewhere:
        other_install.connection_for(mine, ADA)
    messages = {error.value.message for error in (theirs, local, tampered, elsewhere)}
    assert len(messages) == 1 and "not a session handle this server issued to you" in messages.pop()
    assert {error.value.field for error in (theirs, local, tampered, elsewhere)} == {"session_handle"}


@pytest.mark.parametrize(
    "text", ["", "sh1", "SES-2026-00001", "sh1.a.b.c", "sh2." + "a" * 22 + ".z.b", "x" * 100]
)
def test_a_malformed_handle_is_refused_by_name(handles: SessionHandles, text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        handles.connection_for(text, ADA)
    assert refused.value.field == "session_handle"


def test_a_handle_expires_after_its_lifetime_and_says_so() -> None:
    clock = FakeClock()
    handles = SessionHandles(lambda: b"s" * 32, clock, timedelta(hours=24))
    connection, handle = _mint(handles, ADA)
    clock.advance(hours=23, minutes=59)
    assert handles.connection_for(handle, ADA) == connection
    renewed = handles.renewed(connection, ADA)
    clock.advance(minutes=1)
    with pytest.raises(Expired) as expired:
        handles.connection_for(handle, ADA)
    assert expired.value.field == "session_handle" and expired.value.code == "expired"
    assert "expired at 2026-03-02T09:00:00+00:00" in expired.value.message and "24 h" in expired.value.message
    assert renewed is not None and handles.connection_for(renewed, ADA) == connection  # renewed: 24 h more


def test_a_handle_from_the_future_is_refused(handles: SessionHandles) -> None:
    ahead = SessionHandles(
        lambda: b"s" * 32, FakeClock(FakeClock().now + timedelta(hours=1)), timedelta(hours=24)
    )
    _, handle = _mint(ahead, ADA)
    with pytest.raises(InvalidInput):
        handles.connection_for(handle, ADA)


def test_only_a_handle_connection_is_renewed(handles: SessionHandles) -> None:
    connection, _ = _mint(handles, ADA)
    assert handles.renewed(connection, ADA) is not None
    assert handles.renewed(connection, BOB) is None  # not theirs
    assert handles.renewed(f"u:{ADA.user_id}/http:abc", ADA) is None
    assert handles.renewed("stdio:1234", None) is None
