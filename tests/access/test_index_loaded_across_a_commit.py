"""An index built from grants read before a change commits must not be
kept once that change has invalidated the account (read-your-writes in one process)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

import spacegate.grants.cache as cache_module
from spacegate.authz import AccountIndex, Permission
from spacegate.db import transaction
from spacegate.grants.cache import mark_changed
from spacegate.grants.loader import load_index
from spacegate.runtime import Runtime
from spacegate.users.models import User
from tests.factories import new_account, new_user, request_access


def test_an_index_loaded_across_a_commit_is_not_kept(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = new_account(runtime)
    bob = new_user(runtime, admin.account_id, "bob@example.com", account_role="Admin")
    cache = runtime.authz  # its poller is not running: nothing else repairs the entry
    real_load = load_index

    def load_then_demote(session: Session, account_id: int) -> tuple[int, AccountIndex]:
        loaded = real_load(session, account_id)
        # Another request demotes bob and commits while this one was still loading.
        with transaction(runtime.sessions) as other:
            user = other.get(User, bob.user_id)
            assert user is not None
            user.account_role = "Member"
            mark_changed(other, admin.account_id)
        return loaded

    with runtime.sessions() as session:
        monkeypatch.setattr(cache_module, "load_index", load_then_demote)
        cache.get(session, admin.account_id)
        monkeypatch.setattr(cache_module, "load_index", real_load)
    with runtime.sessions() as session:
        index = cache.get(session, admin.account_id)

    assert not request_access(index, bob.user_id).has(Permission.CREATE_SPACES)
