#!/bin/sh
# The German catalogue: it compiles with gettext's format checks, and it translates every
# string that the desktop entry, the metainfo, the settings schema, the About dialog and
# the shortcuts window hold now (extracted afresh from the sources, so a string added
# without its translation fails here). Usage: test-translations.sh SOURCE_ROOT
set -eu
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "1..2"

if msgfmt --check --output-file="$tmp/de.mo" "$top/po/de.po" 2>"$tmp/msgfmt.log"; then
  echo "ok 1 - po/de.po compiles with format checks"
else
  sed 's/^/# /' "$tmp/msgfmt.log"
  echo "not ok 1 - po/de.po compiles with format checks"
fi

# The keywords of meson's glib preset (i18n.gettext preset: 'glib').
cd "$top"
if xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
     --keyword=g_dpgettext2:2c,3 --output="$tmp/current.pot" \
     data/io.github.ptycholive.PtychoLive.desktop.in \
     data/io.github.ptycholive.PtychoLive.metainfo.xml.in \
     data/io.github.ptycholive.PtychoLive.gschema.xml \
     src/gui/ptl-about.c ui/ptl-shortcuts.ui 2>"$tmp/xgettext.log" \
   && msgcmp "$top/po/de.po" "$tmp/current.pot" 2>"$tmp/msgcmp.log"; then
  echo "ok 2 - every desktop, metainfo, schema, About and shortcuts string has German"
else
  sed 's/^/# /' "$tmp/xgettext.log" "$tmp/msgcmp.log"
  echo "not ok 2 - every desktop, metainfo, schema, About and shortcuts string has German"
fi
