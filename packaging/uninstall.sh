#!/bin/sh
# Remove what install.sh put in place: the app, the launcher, the menu entry and the icons.
# Your homes (catalogs, artifacts, settings) stay where they are.
set -eu
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
PREFIX=${MLOPS_DESKTOP_PREFIX:-$HOME/.local/lib/mlops-desktop}
BIN=${MLOPS_DESKTOP_BIN:-$HOME/.local/bin}

if [ -f "$BIN/mlops-desktop" ] && grep -q "$PREFIX/mlops-desktop" "$BIN/mlops-desktop"; then
  rm -f "$BIN/mlops-desktop"
fi
rm -f "$DATA/applications/mlops-desktop.desktop"
for icon in "$DATA"/icons/hicolor/*/apps/mlops-desktop.png \
  "$DATA"/icons/hicolor/*/apps/mlops-desktop.svg; do
  [ -f "$icon" ] && rm -f "$icon"
done
case "$PREFIX" in
  */mlops-desktop) [ -x "$PREFIX/mlops-desktop" ] && rm -rf "$PREFIX" ;;
  *) echo "uninstall.sh: $PREFIX does not look like an install of the app; left it." >&2 ;;
esac
command -v update-desktop-database >/dev/null 2>&1 \
  && update-desktop-database -q "$DATA/applications" 2>/dev/null || true
echo "MLOps Desktop is removed. Your catalogs and settings are kept."
