#!/usr/bin/env bash
# Install EmbedStudio for the current user (no root needed). Run from the unpacked archive:
#
#   ./install.sh
#
#   PREFIX   where the program goes        (default ~/.local/opt/embedstudio)
#   BIN_DIR  where the `embedstudio` link goes (default ~/.local/bin)
#   XDG_DATA_HOME  menu entry, icons, file types (default ~/.local/share)
#
# What it writes is listed in $PREFIX/install-manifest.txt; uninstall.sh removes exactly that.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local/opt/embedstudio}
BIN_DIR=${BIN_DIR:-$HOME/.local/bin}
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
case "$DATA_HOME" in /*) ;; *) DATA_HOME=$HOME/.local/share ;; esac  # XDG: a relative value is ignored

bundle=$here/embedstudio
[ -x "$bundle/embedstudio" ] || { echo "install.sh: no bundle at $bundle/embedstudio (run it from the unpacked archive)" >&2; exit 1; }
for f in embedstudio.desktop embedstudio-mime.xml uninstall.sh icons/embedstudio.svg; do
  [ -e "$here/$f" ] || { echo "install.sh: $here/$f is missing" >&2; exit 1; }
done

# A folder that exists and is not an earlier EmbedStudio install is never overwritten.
manifest=$PREFIX/install-manifest.txt
if [ -e "$PREFIX" ] && [ -n "$(ls -A "$PREFIX" 2>/dev/null)" ]; then
  if [ -f "$manifest" ]; then
    echo "replacing the EmbedStudio installed in $PREFIX"
    "$PREFIX/uninstall.sh" --quiet
  else
    echo "install.sh: $PREFIX exists and is not an EmbedStudio install; set PREFIX to another folder" >&2
    exit 1
  fi
fi

created=()   # folders made here (removed again by uninstall.sh when empty)
installed=() # files and links written here
mkdir_p() {
  local d=$1 missing=()
  while [ ! -d "$d" ]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
  for d in "${missing[@]}"; do mkdir "$d"; created+=("$d"); done
}

# The program: the bundle folder's contents in $PREFIX, copied to a temporary name first.
mkdir_p "$(dirname "$PREFIX")"
tmp=$(mktemp -d "$(dirname "$PREFIX")/.embedstudio-install.XXXXXX")
cp -a "$bundle/." "$tmp/"
cp "$here/uninstall.sh" "$here/embedstudio-mime.xml" "$tmp/"
chmod +x "$tmp/uninstall.sh"
rm -rf "$PREFIX"
mv "$tmp" "$PREFIX"
chmod 755 "$PREFIX"
exe=$PREFIX/embedstudio

# The command.
mkdir_p "$BIN_DIR"
if [ -e "$BIN_DIR/embedstudio" ] || [ -L "$BIN_DIR/embedstudio" ]; then
  if [ "$(readlink "$BIN_DIR/embedstudio" || true)" = "$exe" ]; then
    rm -f "$BIN_DIR/embedstudio"
  else
    echo "install.sh: $BIN_DIR/embedstudio exists and is not ours; leaving it (run $exe directly)" >&2
  fi
fi
if [ ! -e "$BIN_DIR/embedstudio" ] && [ ! -L "$BIN_DIR/embedstudio" ]; then
  ln -s "$exe" "$BIN_DIR/embedstudio"
  installed+=("$BIN_DIR/embedstudio")
fi

# Icons.
for png in "$here"/icons/embedstudio-*.png; do
  size=${png##*/embedstudio-}; size=${size%.png}
  dir=$DATA_HOME/icons/hicolor/${size}x${size}/apps
  mkdir_p "$dir"
  cp "$png" "$dir/embedstudio.png"
  installed+=("$dir/embedstudio.png")
done
mkdir_p "$DATA_HOME/icons/hicolor/scalable/apps"
cp "$here/icons/embedstudio.svg" "$DATA_HOME/icons/hicolor/scalable/apps/embedstudio.svg"
installed+=("$DATA_HOME/icons/hicolor/scalable/apps/embedstudio.svg")
touch "$DATA_HOME/icons/hicolor"  # icon caches compare this folder's time
if [ -f "$DATA_HOME/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t -f "$DATA_HOME/icons/hicolor" || true
fi

# The menu entry, its Exec= and TryExec= pointing at this install.
mkdir_p "$DATA_HOME/applications"
quoted=$(printf '%s' "$exe" | sed -e 's/[\\"`$]/\\\\&/g')
sed -e "s|^Exec=embedstudio |Exec=\"$quoted\" |" -e "s|^TryExec=embedstudio\$|TryExec=$exe|" \
  "$here/embedstudio.desktop" > "$DATA_HOME/applications/embedstudio.desktop"
installed+=("$DATA_HOME/applications/embedstudio.desktop")

# File types.
mime_xml=$DATA_HOME/mime/packages/embedstudio-mime.xml
mkdir_p "$DATA_HOME/mime/packages"
if command -v xdg-mime >/dev/null 2>&1 && command -v update-mime-database >/dev/null 2>&1; then
  # --mode user: as root, xdg-mime would otherwise install for the whole system.
  XDG_DATA_HOME=$DATA_HOME xdg-mime install --mode user --novendor "$PREFIX/embedstudio-mime.xml"
else
  cp "$PREFIX/embedstudio-mime.xml" "$mime_xml"
  if command -v update-mime-database >/dev/null 2>&1; then
    update-mime-database "$DATA_HOME/mime" || true
  fi
fi
installed+=("$mime_xml")
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$DATA_HOME/applications" || true
fi

{
  echo "# EmbedStudio install manifest: uninstall.sh removes these files, then these folders if empty."
  echo "prefix $PREFIX"
  echo "data_home $DATA_HOME"
  for f in "${installed[@]}"; do echo "file $f"; done
  for (( i=${#created[@]}-1; i>=0; i-- )); do echo "dir ${created[$i]}"; done
} > "$manifest"

echo "EmbedStudio is installed in $PREFIX"
case ":$PATH:" in
  *":$BIN_DIR:"*) echo "run it from the application menu or with: embedstudio" ;;
  *) echo "run it from the application menu or with: $BIN_DIR/embedstudio  ($BIN_DIR is not on your PATH)" ;;
esac
echo "remove it with: $PREFIX/uninstall.sh"
