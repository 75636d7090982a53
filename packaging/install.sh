#!/bin/sh
# Install MLOps Desktop for this user, from the unpacked bundle this script sits in:
#   the app          -> ${MLOPS_DESKTOP_PREFIX:-~/.local/lib/mlops-desktop}
#   the launcher     -> ~/.local/bin/mlops-desktop
#   the menu entry   -> ${XDG_DATA_HOME:-~/.local/share}/applications/mlops-desktop.desktop
#   the icons        -> ${XDG_DATA_HOME:-~/.local/share}/icons/hicolor/SIZE/apps/mlops-desktop.png
# Running it again replaces an older install. Your catalog and settings are not touched.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
PREFIX=${MLOPS_DESKTOP_PREFIX:-$HOME/.local/lib/mlops-desktop}
BIN=${MLOPS_DESKTOP_BIN:-$HOME/.local/bin}

if [ ! -x "$HERE/mlops-desktop" ] || [ ! -d "$HERE/_internal" ]; then
  echo "install.sh: run it from the unpacked bundle (the folder holding mlops-desktop)." >&2
  exit 2
fi

if [ "$HERE" != "$PREFIX" ]; then
  mkdir -p "$(dirname "$PREFIX")"
  rm -rf "$PREFIX.new"
  cp -a "$HERE" "$PREFIX.new"
  rm -rf "$PREFIX"
  mv "$PREFIX.new" "$PREFIX"
fi

mkdir -p "$BIN" "$DATA/applications"
cat > "$BIN/mlops-desktop" <<LAUNCHER
#!/bin/sh
exec "$PREFIX/mlops-desktop" "\$@"
LAUNCHER
chmod 755 "$BIN/mlops-desktop"

sed "s|^Exec=.*|Exec=\"$BIN/mlops-desktop\" gui|" "$PREFIX/share/applications/mlops-desktop.desktop" \
  > "$DATA/applications/mlops-desktop.desktop"
(cd "$PREFIX/share/icons" && find hicolor -name 'mlops-desktop.*' -type f) | while read -r icon; do
  mkdir -p "$DATA/icons/$(dirname "$icon")"
  cp "$PREFIX/share/icons/$icon" "$DATA/icons/$icon"
done

command -v update-desktop-database >/dev/null 2>&1 \
  && update-desktop-database -q "$DATA/applications" 2>/dev/null || true
command -v gtk-update-icon-cache >/dev/null 2>&1 \
  && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" 2>/dev/null || true

echo "MLOps Desktop is installed in $PREFIX."
echo "Start it from your desktop's menu, or run: mlops-desktop"
case ":$PATH:" in
  *":$BIN:"*) ;;
  *) echo "Note: $BIN is not on your PATH; add it, or run $BIN/mlops-desktop." ;;
esac
echo "Remove it with: $PREFIX/uninstall.sh"
