"""cdk-nag's AwsSolutions checks, run as a CDK validation plugin during synthesis.

cdk-nag 3 reads CDK's own acknowledgements instead of its former suppression API;
`acknowledge` is the one way this app records one, always with the reason.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
