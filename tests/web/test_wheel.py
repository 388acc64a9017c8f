"""The built web console reaches a user who only runs `pip install`: the sdist carries it, and
the wheel built from that sdist (as pip does) has every file index.html and /docs ask for."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from tests.conftest import ROOT
from tests.web.conftest import WEBAPP, require_built_console


def test_the_sdist_and_the_wheel_carry_the_built_console(tmp_path: Path) -> None:
    require_built_console()
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (WEBAPP / "index.html").read_text(encoding="utf-8")
    wanted = {"server/webapp/index.html", "server/webapp/docs/swagger-ui-bundle.js",
              "server/webapp/docs/swagger-ui.css", "server/webapp/docs/favicon-32x32.png"}
    wanted |= {f"server/webapp{a}" for a in re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)}
    assert len(wanted) >= 6
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert wanted <= names
        assert archive.read("server/webapp/index.html").decode("utf-8") == html
    (sdist,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert wanted <= members
