"""`funnelhouse check raw` is the gate an operator or a DAG runs: exit 1 and a readable report on a defect."""

from __future__ import annotations

from typer.testing import CliRunner

from funnelhouse.cli import app


def test_check_raw_exits_1_and_names_the_defect(duck, clock):
    duck.build_raw()
    duck.run(
        "insert into raw_hubspot.contacts (id, email, lifecyclestage) values ('2', 'dup@contoso.example', 'lead')"
    )

    result = CliRunner().invoke(
        app, ["check", "raw", "--since", clock.args["since"], "--until", clock.args["until"]]
    )

    assert result.exit_code == 1, result.output
    assert "raw gate FAILED" in result.output
    assert "raw_hubspot.contacts: expect_column_values_to_be_unique(column=id)" in result.output
    assert "sample bad values: '2', '2'" in result.output
