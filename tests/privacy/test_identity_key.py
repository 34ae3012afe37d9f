"""Where the identity key comes from: the environment, a development key locally, nothing silent when deployed."""

from __future__ import annotations

import pytest

from foodshare import identity_key
from foodshare.settings import get_settings


@pytest.fixture
def stage(monkeypatch):
    def set_stage(name: str, key: str | None = None) -> None:
        monkeypatch.setenv("STAGE", name)
        if key is None:
            monkeypatch.delenv("IDENTITY_KEY", raising=False)
        else:
            monkeypatch.setenv("IDENTITY_KEY", key)
        get_settings.cache_clear()
        identity_key.reset()

    yield set_stage
    monkeypatch.undo()
    get_settings.cache_clear()
    identity_key.reset()


def test_a_deployed_stage_without_the_key_fails_fast(stage):
    stage("prod")
    with pytest.raises(identity_key.IdentityKeyMissing):
        identity_key.key()
    stage("prod", "from-secrets-manager")
    assert identity_key.key() == b"from-secrets-manager"


def test_local_and_test_stages_use_a_development_key(stage):
    stage("local")
    assert identity_key.key() == b"foodshare-development-identity-key"
