"""Data exports (GDPR access and portability): the bucket the `exports` consumer writes each
person's JSON document to, and who may touch it (docs/privacy.md, "Export").

- **Encryption: SSE-S3** (AES-256, S3-managed keys), the bucket's default and asked for on every
  put. SSE-KMS was weighed: a customer key would add a key policy and a charge per request, but
  the same two roles would need kms:Decrypt/GenerateDataKey, so it would not narrow who can read a
  document; erasure deletes the objects (no crypto-shredding needed) and the lifecycle rule
  bounds their life to 7 days. Block Public Access is on, bucket-owner-enforced ownership (no
  ACLs), TLS only (`aws:SecureTransport`).
- **Lifecycle:** every object expires EXPORT_DAYS after it was written (the export item's TTL
  matches), incomplete uploads after a day.
- **Access:** the `exports` function may only PutObject under `exports/`; the `users` function
  only GetObject there (GET /me/exports/{id} presigns a GetObject URL with its own credentials); the
  `erasure` consumer only DeleteObject (an erasure's wind-down deletes the person's documents).
  Nobody may list.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.config import StageConfig
from cdk.nag import acknowledge

EXPORT_DAYS = 7
PREFIX = "exports/"
# catalog names: the consumer that builds, the API function that serves, the consumer that erases
WRITER, READER, ERASER = "exports", "users", "erasure"


class Exports(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=False,  # a deleted export must be gone, not kept as a noncurrent version
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExportsExpire",
                    prefix=PREFIX,
                    expiration=Duration.days(EXPORT_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            # Retained like the table: deleting the stack must not fail on a non-empty bucket; the
            # lifecycle rule empties it within EXPORT_DAYS.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            f"Exports live {EXPORT_DAYS} days and are reached only through 5-minute presigned URLs the users "
            "function issues (logged with the caller); server access logs would be a second copy of who "
            "downloaded personal data, kept longer than the data.",
        )

    def _grant(self, fn: lambda_.Function, actions: list[str]) -> None:
        fn.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=[self.bucket.arn_for_objects(f"{PREFIX}*")]))
        fn.add_environment("EXPORT_BUCKET", self.bucket.bucket_name)
        stack = Stack.of(self)
        bucket_id = stack.resolve(stack.get_logical_id(self.bucket.node.default_child))
        acknowledge(
            fn.role,
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{PREFIX}*]",
            f"Every export is its own object under {PREFIX} (named by its id when it is requested); "
            f"{', '.join(actions)} on those objects only, never the bucket.",
        )

    def grant_writer(self, fn: lambda_.Function) -> None:
        """The function that builds exports: it writes documents, and deletes one it wrote when its person's
        erasure began meanwhile (the wind-down deleted the documents there were before it)."""
        self._grant(fn, ["s3:PutObject", "s3:DeleteObject"])

    def grant_reader(self, fn: lambda_.Function) -> None:
        """The API function: presigned download URLs (GetObject)."""
        self._grant(fn, ["s3:GetObject"])

    def grant_eraser(self, fn: lambda_.Function) -> None:
        """The erasure consumer: an erased person's documents deleted at their wind-down (DeleteObject)."""
        self._grant(fn, ["s3:DeleteObject"])
