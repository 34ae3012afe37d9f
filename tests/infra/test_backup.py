"""AWS Backup: a daily plan kept 35 days over the table, copied to a second region in prod only."""

from __future__ import annotations

from tests.infra.cfn import of_type, props


def _rules(synth) -> list[dict]:
    (plan,) = of_type(synth, "AWS::Backup::BackupPlan").values()
    return props(plan)["BackupPlan"]["BackupPlanRule"]


def test_daily_backup_kept_35_days_in_an_encrypted_vault(synth):
    (rule,) = _rules(synth)
    assert rule["ScheduleExpression"] == f"cron(0 {synth.config.backup.hour_utc} * * ? *)"
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35} == {"DeleteAfterDays": synth.config.backup.retention_days}
    (vault,) = of_type(synth, "AWS::Backup::BackupVault").values()
    assert props(vault)["BackupVaultName"] == f"foodshare-{synth.config.name}-backup"
    assert "EncryptionKeyArn" in props(vault)


def test_the_selection_is_the_table(synth):
    (selection,) = of_type(synth, "AWS::Backup::BackupSelection").values()
    (table_id,) = of_type(synth, "AWS::DynamoDB::GlobalTable")
    assert props(selection)["BackupSelection"]["Resources"] == [{"Fn::GetAtt": [table_id, "Arn"]}]


def test_prod_copies_to_the_second_region_of_cdk_json(prod, dev):
    assert prod.config.backup.copy_region == "eu-central-1"
    (rule,) = _rules(prod)
    (copy,) = rule["CopyActions"]
    assert copy["Lifecycle"] == {"DeleteAfterDays": 35}
    arn = copy["DestinationBackupVaultArn"]
    text = "".join(p if isinstance(p, str) else "" for p in arn["Fn::Join"][1])
    assert ":backup:eu-central-1:" in text and text.endswith(":backup-vault:foodshare-prod-backup-copy")
    (dev_rule,) = _rules(dev)
    assert "CopyActions" not in dev_rule


def test_prod_vault_and_table_are_retained(prod):
    (vault,) = of_type(prod, "AWS::Backup::BackupVault").values()
    assert vault["DeletionPolicy"] == "Retain"
