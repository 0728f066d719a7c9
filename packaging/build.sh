#!/usr/bin/env bash
# Build the one-folder desktop app into dist/photocull (PyInstaller), plus a .desktop entry and icons.
#
#   packaging/build.sh            # uses the current python; installs the [build] extra first
#   PYTHON=.venv/bin/python packaging/build.sh
#
# Result: dist/photocull/photocull (run it; `--open DIR --selftest out.png` checks it headless),
# dist/photocull/share/applications/photocull.desktop and share/icons/hicolor/*/apps/photocull.png,
# and dist/photocull-linux-x86_64.tar.gz. Targets need glibc >= the build machine's and libEGL/libGL.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
# A fresh build environment gets the app and PyInstaller from the [build] extra; a development
# venv that already has PyInstaller is used as it is (re-installing would undo `pip install -e`).
"$PYTHON" -c "import PyInstaller" 2>/dev/null || "$PYTHON" -m pip install --quiet ".[build]"
"$PYTHON" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/photocull.spec
share=dist/photocull/share
install -D -m 644 packaging/photocull.desktop "$share/applications/photocull.desktop"
for size in 16 32 48 64 128 256 512; do
    install -D -m 644 "assets/icons/photocull-$size.png" "$share/icons/hicolor/${size}x${size}/apps/photocull.png"
done
tar -C dist -czf dist/photocull-linux-x86_64.tar.gz photocull
du -sh dist/photocull dist/photocull-linux-x86_64.tar.gz
