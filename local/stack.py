"""The local stack: a synthesized template deployed onto ministack, served on one port.

Runs with the emulator's own interpreter (.local/stack-venv, requirements-stack.txt), so it
imports only the standard library, ministack and the botocore ministack pins. One process:

1. ministack (all AWS services) listens on `--emulator-port`: the AWS endpoint for
   `aws --endpoint-url` and boto3;
2. the same server listens on `--port` for the HTTP API: every request there is handed to
   ministack's API Gateway (its `/_aws/execute-api/{apiId}/$default` form), so the API answers
   at the root paths, as the deployed `$default` stage does (authorizer, routes, 404s are
   ministack's);
3. once listening, it plays `cdk deploy`: the bootstrap pieces CDK expects (assets bucket,
   bootstrap version parameter), the assets uploaded (the layer rebuilt for this machine:
   local/prepare.py), CreateStack with the template from local/template.py, the stack's
   parameters and secrets from the environment (bot settings), waits until every function version
   is published (SnapStart: its first environment started and its hooks run, as CloudFormation
   waits for on AWS), then it prints where things are and writes them to `--ready-file` as JSON.

Functions run as ministack's worker subprocesses (one event at a time per worker), with this
interpreter and the environment the template gives them; at most LOCAL_WORKERS_PER_FUNCTION
workers per function (`_wait_for_warm_workers`).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local.template import LOCAL_ISSUER, transform  # noqa: E402

ACCOUNT, REGION = "000000000000", "us-east-1"
BOOTSTRAP_QUALIFIER = "hnb659fds"  # CDK's default synthesizer
# Bot settings: parameters of the template (non-secret) and secrets tagged with the setting they hold.
PARAMETERS_FROM_ENV = {"TelegramApiBase": "TELEGRAM_API_BASE", "SlackApiBase": "SLACK_API_BASE",
                       "TelegramBotUsername": "TELEGRAM_BOT_USERNAME"}
SECRET_SETTING_TAG = "foodshare:setting"
BLANK_SECRET = " "  # what an unset bot secret holds locally (foodshare.bots.secrets reads it as not configured)


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--template", required=True, type=Path, help="a synthesized *.template.json (assets beside it)")
    parser.add_argument("--layer-dir", required=True, type=Path, help="the shared layer built for this machine")
    parser.add_argument("--port", type=int, default=3000, help="where the HTTP API answers")
    parser.add_argument("--emulator-port", type=int, default=4566, help="the AWS endpoint")
    parser.add_argument("--ready-file", type=Path, help="JSON with the URLs, written once deployed")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--pitr-minutes", type=float, default=float(os.environ.get("LOCAL_PITR_MINUTES") or 0),
                        help="keep DynamoDB point-in-time history this long (local/ministack_pitr.py; 0: none)")
    return parser.parse_args()


# The bots' secrets, each put into the template's secret tagged with its name.
SECRET_SETTINGS = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")
# What the emulator process keeps of the environment it was started with.
KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "LOG_LEVEL", "LOCAL_WORKERS_PER_FUNCTION")


def _prepare_environment(args: argparse.Namespace) -> dict[str, str]:
    """Before ministack is imported (it reads its settings at import). Function workers inherit
    this process's environment under the function's own variables, so only what ministack needs
    is kept: nothing of the developer's shell (PYTHONPATH, AWS profiles, the bots' secrets)
    reaches a function except through the template. Returns the bot settings for the deploy step."""
    settings = {name: os.environ[name] for name in (*SECRET_SETTINGS, *PARAMETERS_FROM_ENV.values()) if os.environ.get(name)}
    kept = {name: value for name, value in os.environ.items()
            if name in KEPT_ENVIRONMENT or name.startswith(("MINISTACK_", "LAMBDA_"))}
    os.environ.clear()
    os.environ.update(kept)
    data = ROOT / ".local" / f"ministack-{args.emulator_port}"
    os.environ.update({
        "GATEWAY_PORT": str(args.emulator_port), "BIND_HOST": "127.0.0.1", "MINISTACK_HOST": "localhost",
        "MINISTACK_REGION": REGION, "MINISTACK_ACCOUNT_ID": ACCOUNT,
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"), "S3_DATA_DIR": str(data / "s3"), "TMPDIR": str(data),
    })
    data.mkdir(parents=True, exist_ok=True)
    return settings


def _seed_local_issuer() -> None:
    """The authorizer fetches `{issuer}/.well-known/openid-configuration` then the JWKS; the local
    issuer is not a real host, so its documents are put where ministack caches them."""
    from ministack.services import apigateway

    jwks = json.loads((ROOT / ".local" / "jwks.json").read_text())
    jwks_uri = f"{LOCAL_ISSUER}/.well-known/jwks.json"
    forever = time.time() + 10 * 365 * 24 * 3600
    apigateway._oidc_config_cache[LOCAL_ISSUER] = {"jwks_uri": jwks_uri, "expiresAt": forever}
    apigateway._jwks_cache[jwks_uri] = {"jwks": jwks, "expiresAt": forever}


def _wait_for_warm_workers(per_function: int) -> None:
    """The one change to the emulator's behaviour: at most `per_function` workers per function;
    an event arriving while all are busy waits for one instead of spawning another.

    On AWS a concurrent event gets a new execution environment (a cold start of its own).
    Here every cold start is a process importing the layer on a machine with a few cores:
    50 claims at once would be 50 cold starts competing for the same CPUs, each past its
    10 s timeout. Queuing for a warm worker keeps the outcome AWS gives (every caller
    answered, each event handled alone by one worker) on hardware that cannot give 50
    environments at once. LOCAL_WORKERS_PER_FUNCTION sets the number (0: ministack's own
    behaviour, unbounded).
    """
    if per_function <= 0:
        return
    from ministack.core import lambda_runtime
    from ministack.services import lambda_svc

    lease = lambda_runtime.acquire_worker

    def acquire_worker(func_name, config, code_zip, qualifier="$LATEST", max_concurrency=None):
        deadline = time.monotonic() + 120
        while True:
            worker, reason = lease(func_name, config, code_zip, qualifier=qualifier, max_concurrency=per_function)
            if worker is not None or time.monotonic() > deadline:
                return worker, reason
            time.sleep(0.005)

    lambda_runtime.acquire_worker = lambda_svc.acquire_worker = acquire_worker


class FrontDoor:
    """ASGI: requests on the API port go to the deployed HTTP API; the rest is ministack."""

    def __init__(self, app, api_port: int, emulator_port: int):
        self.app, self.api_port, self.emulator_port = app, api_port, emulator_port
        self.api_id: str | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and (scope.get("server") or (None, None))[1] == self.api_port:
            if self.api_id is None:
                body = b'{"error": {"code": "starting", "message": "The stack is still being deployed."}}'
                await send({"type": "http.response.start", "status": 503,
                            "headers": [(b"content-type", b"application/json"), (b"retry-after", b"2")]})
                await send({"type": "http.response.body", "body": body})
                return
            # ministack's path form of execute-api (its own /health would shadow ours on a host form)
            prefix = f"/_aws/execute-api/{self.api_id}/$default"
            scope = {**scope, "path": prefix + scope["path"], "raw_path": prefix.encode() + scope.get("raw_path", b"")}
        await self.app(scope, receive, send)


def _zip_dir(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path).as_posix())
    return buffer.getvalue()


def _layer_object_keys(template: dict[str, Any]) -> set[str]:
    return {resource["Properties"]["Content"]["S3Key"] for resource in template["Resources"].values()
            if resource["Type"] == "AWS::Lambda::LayerVersion"}


class Deployer:
    """What `cdk deploy` does, against the emulator."""

    def __init__(self, args: argparse.Namespace, settings: dict[str, str]):
        import botocore.session

        self.args, self.settings = args, settings
        session = botocore.session.get_session()
        endpoint = f"http://127.0.0.1:{args.emulator_port}"
        self.client = lambda service: session.create_client(
            service, region_name=REGION, endpoint_url=endpoint,
            aws_access_key_id="test", aws_secret_access_key="test")

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        source = json.loads(self.args.template.read_text())
        local = transform(source, redis_url=self.args.redis_url)
        stack_name = self.args.template.name.removesuffix(".template.json")
        self._bootstrap()
        self._upload_assets(source)
        cfn = self.client("cloudformation")
        body = json.dumps(local.template)
        s3 = self.client("s3")
        s3.put_object(Bucket=self._bucket, Key=f"templates/{stack_name}.json", Body=body.encode())
        cfn.create_stack(StackName=stack_name, TemplateURL=f"http://127.0.0.1:{self.args.emulator_port}/{self._bucket}/templates/{stack_name}.json",
                         Parameters=self._parameters(local.template), Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
        stack = self._wait(cfn, stack_name)
        self._wait_for_published_versions(cfn, stack_name)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        secrets = self._put_secrets(cfn, stack_name)
        tables = self._table_settings(cfn, stack_name, local.template)
        return {"stack": stack_name, "outputs": outputs, "skipped": local.skipped, "rewritten": local.rewritten,
                "secrets": secrets, "tableSettings": tables, "identityKeySecretArn": self._identity_key(cfn, stack_name),
                "deploySeconds": round(time.monotonic() - started, 1)}

    @property
    def _bucket(self) -> str:
        return f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{ACCOUNT}-{REGION}"

    def _bootstrap(self) -> None:
        self.client("s3").create_bucket(Bucket=self._bucket)
        self.client("ssm").put_parameter(Name=f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version", Value="30",
                                         Type="String", Overwrite=True)

    def _upload_assets(self, template: dict[str, Any]) -> None:
        s3 = self.client("s3")
        assets_file = next(self.args.template.parent.glob(f"{self.args.template.name.removesuffix('.template.json')}.assets.json"))
        layer_keys = _layer_object_keys(template)
        for asset in json.loads(assets_file.read_text())["files"].values():
            for destination in asset["destinations"].values():
                key = destination["objectKey"]
                if not key.endswith(".zip"):
                    continue
                source = self.args.layer_dir if key in layer_keys else self.args.template.parent / asset["source"]["path"]
                s3.put_object(Bucket=self._bucket, Key=key, Body=_zip_dir(source))

    def _parameters(self, template: dict[str, Any]) -> list[dict[str, str]]:
        declared = template.get("Parameters", {})
        return [{"ParameterKey": name, "ParameterValue": self.settings[env]}
                for name, env in PARAMETERS_FROM_ENV.items() if name in declared and self.settings.get(env)]

    def _wait(self, cfn, stack_name: str) -> dict[str, Any]:
        while True:
            stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
            status = stack["StackStatus"]
            if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
                return stack
            if status.endswith(("_FAILED", "ROLLBACK_COMPLETE")):
                events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
                failed = [f"{e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason')}"
                          for e in events if e["ResourceStatus"].endswith("FAILED")]
                raise RuntimeError(f"CreateStack {status}:\n  " + "\n  ".join(failed[:20]))
            time.sleep(0.25)

    def _wait_for_published_versions(self, cfn, stack_name: str, timeout_s: float = 600) -> None:
        """Until no function version is Pending: on AWS a SnapStart version's resource completes once its
        snapshot exists, so a deployed stack answers at once; ministack publishes it in the background
        (it starts the version's first environment and runs the before-snapshot and after-restore
        hooks) and answers 409 meanwhile. A version whose initialisation failed is left Failed, as on AWS."""
        lam = self.client("lambda")
        resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
        names = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Lambda::Function"]
        deadline = time.monotonic() + timeout_s
        while names and time.monotonic() < deadline:
            pending = [name for name in names
                       if any(v.get("State") == "Pending" for v in lam.list_versions_by_function(FunctionName=name)["Versions"]
                              if v["Version"] != "$LATEST")]
            if not pending:
                return
            names = pending
            time.sleep(0.5)
        if names:
            raise RuntimeError(f"function versions still publishing after {timeout_s:.0f} s: {', '.join(names)}")

    def _identity_key(self, cfn, stack_name: str) -> str | None:
        """The identity key's secret as the deployed functions name it (`IDENTITY_KEY_SECRET_ARN`, cdk/privacy.py):
        code run beside the stack (seeding, replay, drills) reads the same key, so the handles, pseudonyms and
        areas it records are the ones the functions show and look up."""
        lam = self.client("lambda")
        resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
        for resource in resources:
            if resource["ResourceType"] == "AWS::Lambda::Function":
                variables = lam.get_function_configuration(FunctionName=resource["PhysicalResourceId"]).get(
                    "Environment", {}).get("Variables", {})
                if variables.get("IDENTITY_KEY_SECRET_ARN"):
                    return variables["IDENTITY_KEY_SECRET_ARN"]
        return None

    def _table_settings(self, cfn, stack_name: str, template: dict[str, Any]) -> dict[str, list[str]]:
        """What ministack's CloudFormation leaves out of a table, set as CreateStack would: a
        GlobalTable's replica settings (point-in-time recovery, tags: it ignores `Replicas`) and
        the time-to-live specification. So DescribeContinuousBackups, ListTagsOfResource and
        DescribeTimeToLive, and the restore drill that reads them, see what AWS would."""
        resources, applied = template["Resources"], {}
        dynamodb = self.client("dynamodb")
        for resource in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]:
            props = resources.get(resource["LogicalResourceId"], {}).get("Properties", {})
            if resource["ResourceType"] == "AWS::DynamoDB::Table":
                settings = props
            elif resource["ResourceType"] == "AWS::DynamoDB::GlobalTable":  # one replica: this region's
                settings = next(iter(props.get("Replicas", [])), {})
            else:
                continue
            table, done = resource["PhysicalResourceId"], []
            if settings.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
                dynamodb.update_continuous_backups(TableName=table,
                                                   PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
                done.append("pitr")
            ttl = props.get("TimeToLiveSpecification", {})
            described = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
            if ttl.get("Enabled") and described.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={
                    "Enabled": True, "AttributeName": ttl["AttributeName"]})
                done.append(f"ttl:{ttl['AttributeName']}")
            tags = [t for t in settings.get("Tags", []) if isinstance(t.get("Value"), str)]
            if tags:
                arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
                dynamodb.tag_resource(ResourceArn=arn, Tags=tags)
                done.append(f"tags:{len(tags)}")
            applied[table] = done
        return applied

    def _put_secrets(self, cfn, stack_name: str) -> dict[str, str]:
        """Each bot secret of the template carries a tag naming the setting it holds; the value
        comes from the environment `make serve` was started with. Unset: blanked (the stack
        generates a value for each; Secrets Manager needs one character, so a space), and a blank
        secret is no secret: the webhooks answer 503, not configured (foodshare.bots.secrets)."""
        secrets = self.client("secretsmanager")
        resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
        put = {}
        for resource in resources:
            if resource["ResourceType"] != "AWS::SecretsManager::Secret":
                continue
            arn = resource["PhysicalResourceId"]
            tags = {t["Key"]: t["Value"] for t in secrets.describe_secret(SecretId=arn).get("Tags", [])}
            setting = tags.get(SECRET_SETTING_TAG)
            if setting not in SECRET_SETTINGS:
                continue
            value = self.settings.get(setting) or ""
            secrets.put_secret_value(SecretId=arn, SecretString=value or BLANK_SECRET)
            if value:
                put[setting] = arn
        return put


def _deploy_when_listening(args: argparse.Namespace, settings: dict[str, str], door: FrontDoor, stop) -> None:
    import urllib.request

    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.emulator_port}/_ministack/health", timeout=1)
            break
        except Exception:
            time.sleep(0.05)
    try:
        deployed = Deployer(args, settings).run()
    except Exception as error:  # the stack cannot serve: say why and stop
        print(f"\nDeploying {args.template} onto the emulator failed: {error}", file=sys.stderr)
        stop()
        return
    api_url = deployed["outputs"].get("ApiUrl", "")
    door.api_id = api_url.split("//", 1)[-1].split(".", 1)[0] if api_url else None
    info = {"apiUrl": f"http://127.0.0.1:{args.port}", "awsEndpoint": f"http://127.0.0.1:{args.emulator_port}",
            "region": REGION, "issuer": LOCAL_ISSUER, **deployed}
    if args.ready_file:  # written whole, then renamed: whoever waits for it never reads it half-written
        partial = args.ready_file.with_suffix(".partial")
        partial.write_text(json.dumps(info, indent=2))
        partial.replace(args.ready_file)
    print(f"\nFoodshare stack {deployed['stack']} deployed on ministack in {deployed['deploySeconds']} s "
          f"({len(deployed['skipped'])} resources skipped: local/template.py)\n"
          f"  API           {info['apiUrl']}\n"
          f"  AWS endpoint  {info['awsEndpoint']}   (aws --endpoint-url {info['awsEndpoint']} --region {REGION} ...)\n"
          f"  outputs       {json.dumps(deployed['outputs'])}\n"
          "Get a token with: make token USER=alice", file=sys.stderr, flush=True)


def _stop_with_parent(stop) -> None:
    """A stack started by a test session or `make serve` must not outlive it, however it ended."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    stop()


def main() -> None:
    args = _args()
    settings = _prepare_environment(args)
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    from ministack import app as ministack

    from local.ministack_pitr import install as install_point_in_time_recovery

    install_point_in_time_recovery(args.pitr_minutes)
    _seed_local_issuer()
    _wait_for_warm_workers(int(os.environ.get("LOCAL_WORKERS_PER_FUNCTION", "3")))
    door = FrontDoor(ministack.app, args.port, args.emulator_port)
    config = Config()
    config.bind = [f"127.0.0.1:{args.emulator_port}", f"127.0.0.1:{args.port}"]
    config.keep_alive_timeout = 75
    config.backlog = 1024
    config.loglevel = "WARNING"
    config.accesslog = None
    shutdown = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = lambda: loop.call_soon_threadsafe(shutdown.set)  # noqa: E731
        threading.Thread(target=_deploy_when_listening, args=(args, settings, door, stop), daemon=True).start()
        threading.Thread(target=_stop_with_parent, args=(stop,), daemon=True).start()
        await serve(door, config, shutdown_trigger=shutdown.wait)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    if door.api_id is None:
        sys.exit(1)


if __name__ == "__main__":
    main()
