"""The local stack's stand-in for the Cognito issuer: an RSA key kept in .local/ and RS256 tokens."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

ISSUER = "https://auth.foodshare.local"
AUDIENCE = "foodshare-local"
KEY_FILE = Path(__file__).resolve().parent.parent / ".local" / "jwt-signing-key.pem"


@lru_cache(maxsize=1)
def _private_key_pem() -> bytes:
    if not KEY_FILE.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        KEY_FILE.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        KEY_FILE.chmod(0o600)
    return KEY_FILE.read_bytes()


@lru_cache(maxsize=1)
def _public_key():
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(_private_key_pem(), password=None).public_key()


def jwks() -> dict:
    """The public key as the issuer's JWKS document (what the emulator's JWT authorizer checks)."""
    import base64

    numbers = _public_key().public_numbers()

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"keys": [{"kty": "RSA", "kid": "local", "use": "sig", "alg": "RS256",
                      "n": b64(numbers.n), "e": b64(numbers.e)}]}


def issue_token(user_id: str, ttl_seconds: int = 24 * 3600) -> str:
    import jwt

    now = int(time.time())
    claims = {"sub": user_id, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds,
              "token_use": "access", "scope": "foodshare"}
    return jwt.encode(claims, _private_key_pem(), algorithm="RS256", headers={"kid": "local"})


def verify(token: str) -> dict:
    """Claims as the HTTP API JWT authorizer passes them (values as strings); raises on a bad token."""
    import jwt

    claims = jwt.decode(token, _public_key(), algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER,
                        options={"require": ["exp", "iat", "sub"]})
    return {key: value if isinstance(value, str) else str(value) for key, value in claims.items()}
