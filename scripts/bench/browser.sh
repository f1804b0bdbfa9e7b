#!/bin/sh
# $BROWSER for item 4 of the bench, the same for `authdeck connect` and for
# InstalledAppFlow: starts the scripted browser (the "person" who clicks Allow,
# tests/support/scripted_browser.rs) in the background and returns at once, as
# xdg-open or a running browser's launcher does. Python's webbrowser waits for a
# $BROWSER command to exit; a browser that signed in synchronously would then
# deadlock against run_local_server, which only starts serving after that.
"$AUTHDECK_BENCH_SCRIPTED_BROWSER" "$@" </dev/null >/dev/null 2>&1 &
