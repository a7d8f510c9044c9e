#!/usr/bin/env bash
# Remove what install.sh installed, as listed in its manifest ($PREFIX/install-manifest.txt):
# the program folder, the `embedstudio` link, the menu entry, the icons and the file types; then
# the folders install.sh made, if they are empty. Nothing else is touched.
#
#   ~/.local/opt/embedstudio/uninstall.sh      (or ./uninstall.sh from the archive; PREFIX=... if moved)
set -euo pipefail
quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
say() { [ "$quiet" = 1 ] || echo "$@"; }

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${PREFIX:-}" ]; then
  if [ -f "$here/install-manifest.txt" ]; then PREFIX=$here; else PREFIX=$HOME/.local/opt/embedstudio; fi
fi
manifest=$PREFIX/install-manifest.txt
if [ ! -f "$manifest" ]; then
  echo "uninstall.sh: no EmbedStudio install found in $PREFIX (no install-manifest.txt); set PREFIX=..." >&2
  exit 1
fi

data_home=$(sed -n 's/^data_home //p' "$manifest")
mapfile -t files < <(sed -n 's/^file //p' "$manifest")
mapfile -t dirs < <(sed -n 's/^dir //p' "$manifest")
exe=$PREFIX/embedstudio

for f in "${files[@]}"; do
  if [ -L "$f" ]; then
    # The command link is removed only while it still points at this install.
    [ "$(readlink "$f")" = "$exe" ] && rm -f "$f"
  elif [ -e "$f" ]; then
    rm -f "$f"
  fi
done

# Caches built from the files just removed: rebuilt, or removed with a folder install.sh made
# when nothing else of anyone's is left in it.
made() { printf '%s\n' "${dirs[@]}" | grep -qxF "$1"; }
mime=$data_home/mime
if [ -d "$mime" ]; then
  if made "$mime" && [ -z "$(ls -A "$mime/packages" 2>/dev/null)" ]; then
    rm -rf "$mime"  # only update-mime-database's output is left
  elif command -v update-mime-database >/dev/null 2>&1; then
    update-mime-database "$mime" || true
  fi
fi
apps=$data_home/applications
if [ -d "$apps" ]; then
  if made "$apps" && [ -z "$(find "$apps" -mindepth 1 ! -name mimeinfo.cache -print -quit)" ]; then
    rm -f "$apps/mimeinfo.cache"
  elif command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$apps" || true
  fi
fi
icons=$data_home/icons/hicolor
if [ -d "$icons" ]; then
  touch "$icons"
  if [ -f "$icons/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f "$icons" || true
  fi
fi

# The program folder: only what install.sh put there (the bundle, its uninstaller, the manifest).
(cd "$PREFIX" && rm -rf embedstudio _internal embedstudio-mime.xml uninstall.sh install-manifest.txt)
rmdir "$PREFIX" 2>/dev/null || echo "uninstall.sh: left $PREFIX: it holds files that were not installed" >&2

for d in "${dirs[@]}"; do  # deepest first, as listed
  [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
done
say "EmbedStudio is uninstalled (was in $PREFIX)"
