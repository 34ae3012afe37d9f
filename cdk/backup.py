"""AWS Backup of the table: daily snapshots kept 35 days, copied to a second region in prod.

Point-in-time recovery (cdk/data.py) covers any second of the last 35 days inside the
region; these snapshots are the second line: they survive the table's deletion, and
with `backup.copy_region` (prod) a region's loss. The copy lands in the vault
`foodshare-<stage>-backup-copy` of that region, which exists before the first copy
runs (docs/runbook.md "Region or table loss"; one `aws backup create-backup-vault`).
Numbers come from cdk.json `backup`.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk.config import StageConfig
from cdk.nag import acknowledge


def copy_vault_name(stage: str) -> str:
    return f"foodshare-{stage}-backup-copy"


class Backup(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig, table: dynamodb.ITableV2) -> None:
        super().__init__(scope, id)
        prefix = f"foodshare-{config.name}"
        settings = config.backup
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        key = kms.Key(self, "VaultKey", description=f"{prefix} backup vault", enable_key_rotation=True,
                      removal_policy=removal)
        self.vault = backup.BackupVault(self, "Vault", backup_vault_name=f"{prefix}-backup", encryption_key=key,
                                        removal_policy=removal)
        retention = Duration.days(settings.retention_days)
        copies = []
        if settings.copy_region:
            stack = Stack.of(self)
            destination = backup.BackupVault.from_backup_vault_arn(
                self, "CopyVault",
                f"arn:{stack.partition}:backup:{settings.copy_region}:{stack.account}:backup-vault:"
                f"{copy_vault_name(config.name)}",
            )
            copies.append(backup.BackupPlanCopyActionProps(destination_backup_vault=destination,
                                                           delete_after=retention))
        self.plan = backup.BackupPlan(self, "Plan", backup_plan_name=f"{prefix}-daily", backup_vault=self.vault)
        self.plan.add_rule(backup.BackupPlanRule(
            rule_name="daily",
            schedule_expression=events.Schedule.cron(hour=str(settings.hour_utc), minute="0"),
            start_window=Duration.hours(1),
            completion_window=Duration.hours(4),
            delete_after=retention,
            copy_actions=copies or None,
        ))
        selection = self.plan.add_selection("Table", resources=[backup.BackupResource.from_arn(table.table_arn)])
        acknowledge(
            selection,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSBackupServiceRolePolicyForBackup]",
            "AWS Backup's documented service role policy for taking backups; its resources are limited by the "
            "plan's selection (the table only).",
        )
