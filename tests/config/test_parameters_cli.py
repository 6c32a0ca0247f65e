"""A typo in any parameter stops ``kedro run`` before any node, with a suggestion."""

from __future__ import annotations

import pytest

from tests.kedro_project import KedroProject, write_real_raw_csv

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "validaton.max_quarantine_share=1",
            "validaton: unknown parameter (did you mean validation?)",
        ),
        (
            "feature_engineering.mod=full",
            "feature_engineering.mod: unknown parameter (did you mean "
            "feature_engineering.mode?)",
        ),
        (
            "validation.max_quarantine_share=2",
            "validation.max_quarantine_share = 2: Input should be less than or equal "
            "to 1",
        ),
    ],
)
def test_a_bad_parameter_stops_the_run_before_anything_is_written(
    kedro_project: KedroProject, override: str, expected: str
):
    kedro_project.use_raw_file(write_real_raw_csv(kedro_project.root))
    result = kedro_project.kedro(
        "run", "--pipelines", "feature_engineering", "--params", override
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    assert expected in " ".join(output.split()), output[-3000:]
    assert "Traceback" not in output
    written = [
        path
        for key in ("intermediate", "primary", "features", "reporting")
        for path in kedro_project.path(key).rglob("*")
        if path.is_file()
    ]
    assert written == []
