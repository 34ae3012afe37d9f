"""The layer's trimmed botocore data still serves every client the functions create.

botocore reads its data from a loader; the test points one at a trimmed copy of the
installed data and creates the clients the functions use (DynamoDB, EventBridge,
Secrets Manager, SSM), resolving their real endpoints.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import botocore
import botocore.loaders
import botocore.session
import pytest

from scripts.build_layer import BOTOCORE_SERVICES, trim_botocore

INSTALLED_DATA = Path(botocore.__file__).parent / "data"


@pytest.fixture(scope="module")
def trimmed_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("layer")
    data = site / "botocore" / "data"
    data.mkdir(parents=True)
    for entry in INSTALLED_DATA.iterdir():
        if entry.is_file():
            shutil.copy(entry, data / entry.name)
        elif entry.name in (*BOTOCORE_SERVICES, "sqs", "lambda"):  # two it must drop
            shutil.copytree(entry, data / entry.name)
    trim_botocore(site)
    return site


def _session(site: Path) -> botocore.session.Session:
    session = botocore.session.get_session()
    loader = botocore.loaders.Loader(extra_search_paths=[str(site / "botocore" / "data")],
                                     include_default_search_paths=False)
    session.register_component("data_loader", loader)
    return session


def test_only_the_functions_services_are_left(trimmed_site):
    data = trimmed_site / "botocore" / "data"
    assert sorted(p.name for p in data.iterdir() if p.is_dir()) == sorted(BOTOCORE_SERVICES)
    endpoints = json.loads((data / "endpoints.json").read_text())
    assert {p["partition"] for p in endpoints["partitions"]} >= {"aws", "aws-cn", "aws-us-gov"}
    for partition in endpoints["partitions"]:
        assert set(partition["services"]) <= set(BOTOCORE_SERVICES)
    assert (data / "endpoints.json").stat().st_size < (INSTALLED_DATA / "endpoints.json").stat().st_size / 20


@pytest.mark.parametrize("service,host", [
    ("dynamodb", "dynamodb.eu-west-1.amazonaws.com"),
    ("events", "events.eu-west-1.amazonaws.com"),
    ("secretsmanager", "secretsmanager.eu-west-1.amazonaws.com"),
    ("ssm", "ssm.eu-west-1.amazonaws.com"),
])
def test_the_functions_clients_resolve_their_real_endpoints(trimmed_site, service, host):
    client = _session(trimmed_site).create_client(
        service, region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s")
    assert client.meta.endpoint_url == f"https://{host}"


def test_a_dropped_service_is_gone(trimmed_site):
    with pytest.raises(botocore.exceptions.UnknownServiceError):
        _session(trimmed_site).create_client("sqs", region_name="eu-west-1")
