#!/usr/bin/env bash
# Build the EmbedStudio desktop bundle and its installable archive (Linux).
#
#   packaging/build.sh            -> dist/embedstudio/embedstudio (one-folder bundle)
#                                    dist/embedstudio-<version>-linux-<arch>.tar.gz
#
# Uses ./.build-venv (made here with python3 -m venv; PYTHON=... picks another interpreter): the
# project and PyInstaller are installed into it, never into the development venv. On a fresh
# Debian/Ubuntu machine the few system packages needed are installed with apt when we are root
# (or have sudo): binutils (PyInstaller reads shared libraries with objdump), python3-venv, the
# shared libpython of the system Python (PyInstaller bundles it), and the libraries Qt needs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)
python=${PYTHON:-python3}
venv=$root/.build-venv

# -------------------------------------------------------------------------------- system packages
apt_install() {  # apt_install PKG... : install the missing ones if we can, else say what is missing
  command -v apt-get >/dev/null 2>&1 || return 0
  local missing="" p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -z "$missing" ] && return 0
  local sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo_cmd="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo_cmd" ]; then
    echo "installing system packages:$missing"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "warning: the build may need these system packages, install them as root:$missing" >&2
  fi
}
pkgs="binutils libgl1 libegl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3"
py_real=$(command -v "$python")
py_real=$(readlink -f "$py_real")
if [ "${py_real#/usr/bin/}" != "$py_real" ]; then  # Debian's own Python: venv and libpython are separate packages
  pyver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  pkgs="$pkgs python${pyver}-venv libpython${pyver}"
fi
# shellcheck disable=SC2086
apt_install $pkgs

# PyInstaller needs the shared libpython (a Python built with --enable-shared, or Debian's libpythonX.Y).
if [ "$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("Py_ENABLE_SHARED") or 0)')" != 1 ] \
   && ! ldconfig -p 2>/dev/null | grep -q "libpython$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"; then
  echo "warning: $python has no shared libpython; PyInstaller will fail (install libpythonX.Y or a --enable-shared build)" >&2
fi

# ------------------------------------------------------------------------------------- build venv
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# Editable: the bundle is made from this working tree, never from a stale copy in site-packages.
"$venv/bin/python" -m pip install -q -e "$root" "pyinstaller>=6.10" "pyinstaller-hooks-contrib>=2024.8"
version=$("$venv/bin/python" -c 'import embedstudio; print(embedstudio.__version__)')
arch=$(uname -m)
echo "building EmbedStudio $version for linux-$arch with $("$venv/bin/python" -m PyInstaller --version 2>/dev/null | tail -1) (PyInstaller)"

# -------------------------------------------------------------------------------------- bundle
# Icons are rendered from the SVG if they are missing (normally they are committed).
if [ ! -f resources/icons/embedstudio-256.png ]; then
  QT_QPA_PLATFORM=offscreen "$venv/bin/python" packaging/render_icons.py
fi
rm -rf dist/embedstudio
QT_QPA_PLATFORM=offscreen "$venv/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/embedstudio.spec
bundle_time=$(( $(date +%s) - started ))

# Smoke test: the command line answers, inside the bundle.
dist/embedstudio/embedstudio --version

# ------------------------------------------------------------------------------------- archive
name="embedstudio-$version-linux-$arch"
stage=build/archive/$name
rm -rf "build/archive"
mkdir -p "$stage/icons"
cp -a dist/embedstudio "$stage/embedstudio"
cp packaging/install.sh packaging/uninstall.sh packaging/embedstudio.desktop packaging/embedstudio-mime.xml "$stage/"
chmod +x "$stage/install.sh" "$stage/uninstall.sh"
cp resources/icons/embedstudio.svg resources/icons/embedstudio-*.png "$stage/icons/"
cat > "$stage/README.txt" <<EOF
EmbedStudio $version for Linux ($arch)

  ./install.sh      install for this user: ~/.local/opt/embedstudio, ~/.local/bin/embedstudio,
                    the menu entry, icons and file types (PREFIX=... and BIN_DIR=... change where)
  ./uninstall.sh    remove exactly what install.sh installed

Or run it in place: ./embedstudio/embedstudio   (embedstudio --help lists the command-line tools)
EOF
tar -C build/archive -czf "dist/$name.tar.gz" "$name"
rm -rf build/archive

echo
echo "bundle:  dist/embedstudio/  $(du -sh dist/embedstudio | cut -f1)  ($(find dist/embedstudio -type f | wc -l) files)"
echo "archive: dist/$name.tar.gz  $(du -h "dist/$name.tar.gz" | cut -f1)"
echo "built in $(( $(date +%s) - started )) s (PyInstaller bundle after ${bundle_time} s)"
