"""Privacy resources: the identity key behind per-group handles, pseudonyms and pickup areas.

The key is a generated Secrets Manager secret every function may read
(`IDENTITY_KEY_SECRET_ARN`; `foodshare.identity_key` fetches it on first use and fails
when it is missing in a deployed stage). It is retained on stack deletion: a new key
would change every handle and shown area.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk.config import StageConfig
from cdk.nag import acknowledge


class Privacy(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        self.identity_key = secretsmanager.Secret(
            self,
            "IdentityKey",
            secret_name=f"foodshare-{config.name}/identity-key",
            description="HMAC key of per-group handles, pseudonyms and pickup areas (never rotated: see docs/privacy.md)",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.identity_key,
            "AwsSolutions-SMG4",
            "Rotating the identity key would change every per-group handle and shown area; it is not a credential.",
        )

    def grant_functions(self, role: iam.IRole, environment: dict[str, str]) -> None:
        """What a function needs to use the identity key: read access and where it is."""
        # GetSecretValue only, like the bot secrets (nothing reads the secret's metadata)
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.identity_key.secret_arn])
        )
        environment["IDENTITY_KEY_SECRET_ARN"] = self.identity_key.secret_arn
