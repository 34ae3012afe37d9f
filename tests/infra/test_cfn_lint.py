"""cfn-lint finds no errors in the templates of both stages and the fake catalog (warnings concern CDK's output)."""

from __future__ import annotations

import pytest
from cfnlint.api import lint_file


@pytest.mark.parametrize("stage", ["dev", "prod", "fake"])
def test_cfn_lint_reports_no_errors(stage, request):
    matches = lint_file(request.getfixturevalue(stage).template_path)
    errors = [str(m) for m in matches if m.rule.severity == "error"]
    assert not errors, "\n".join(errors)
