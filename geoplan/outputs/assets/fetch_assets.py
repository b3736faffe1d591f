"""Re-fetch the vendored Leaflet assets from the npm registry (maintainers only; not imported at run time).

Gap maps must open with no network (review meetings, offline laptops), so Leaflet and its cluster plugin are
inlined into every HTML file from the copies beside this script. Run ``python fetch_assets.py`` (needs
``npm``) to refresh them: it packs the pinned versions with ``npm pack``, checks the registry's integrity
hash, extracts the few files the maps use and rewrites ``MANIFEST.json`` (versions, licences, sha256).

Licences: Leaflet is BSD-2-Clause, Leaflet.markercluster is MIT; both texts are kept here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent

#: npm package -> (version, licence, {path in the package tarball: path here}).
PACKAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "leaflet": (
        "1.9.4",
        "BSD-2-Clause",
        {
            "package/dist/leaflet.js": "leaflet/leaflet.js",
            "package/dist/leaflet.css": "leaflet/leaflet.css",
            "package/dist/images/layers.png": "leaflet/images/layers.png",
            "package/dist/images/layers-2x.png": "leaflet/images/layers-2x.png",
            "package/dist/images/marker-icon.png": "leaflet/images/marker-icon.png",
            "package/dist/images/marker-icon-2x.png": "leaflet/images/marker-icon-2x.png",
            "package/dist/images/marker-shadow.png": "leaflet/images/marker-shadow.png",
            "package/LICENSE": "leaflet/LICENSE",
        },
    ),
    "leaflet.markercluster": (
        "1.5.3",
        "MIT",
        {
            "package/dist/leaflet.markercluster.js": "markercluster/leaflet.markercluster.js",
            "package/dist/MarkerCluster.css": "markercluster/MarkerCluster.css",
            "package/MIT-LICENCE.txt": "markercluster/MIT-LICENCE.txt",
        },
    ),
}


def _check_integrity(tarball: Path, integrity: str) -> None:
    """Compare the tarball with the registry's ``sha512-...`` integrity string."""
    algo, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise RuntimeError(f"{tarball.name}: integrity mismatch ({integrity} expected, {algo}-{digest} got)")


def fetch(dest: Path = HERE) -> dict[str, object]:
    """Pack, verify and extract the pinned packages into ``dest``; return the manifest written.

    Parameters
    ----------
    dest : Path
        The assets folder (this script's folder by default).

    Returns
    -------
    dict
        The content of ``MANIFEST.json``.
    """
    manifest: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (version, licence, files) in PACKAGES.items():
            out = subprocess.run(
                ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", tmp],
                check=True, capture_output=True, text=True,
            )
            info = json.loads(out.stdout)[0]
            tarball = Path(tmp) / info["filename"]
            _check_integrity(tarball, info["integrity"])
            hashes: dict[str, str] = {}
            with tarfile.open(tarball) as tar:
                for member, target in files.items():
                    handle = tar.extractfile(member)
                    if handle is None:
                        raise RuntimeError(f"{name}@{version}: {member} is not a file")
                    data = handle.read()
                    path = dest / target
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    hashes[target] = hashlib.sha256(data).hexdigest()
            manifest[name] = {"version": version, "license": licence, "integrity": info["integrity"],
                              "files": hashes}
            log.info("%s@%s: %d files", name, version, len(hashes))
    (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    fetch()
