"""`placesim sweep`: a grid of dotted-path overrides from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from placesim.cli import main


def test_cli_sweep(small: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small))
    out = tmp_path / "out"
    code = main(
        [
            "sweep",
            str(path),
            "--set",
            "settings.acute.capacity=40:50:10",
            "-n",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "2 points" in capsys.readouterr().out
    assert main(["sweep", str(path), "--set", "nonsense", "--out", str(out)]) == 2
