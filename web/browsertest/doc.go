// Package browsertest drives the web app in a real headless Chromium
// (Debian's chromium package, through chromedp) against a real
// `ewallet serve --dev`: the tests register, top up, send, pay a merchant's
// payment, refund, export a statement and switch the language, asserting
// what the pages show, and save screenshots of the main screens.
//
// The tests skip when no Chromium is installed, unless
// EWALLET_BROWSER_TESTS=required (what .ci/run sets), when they fail
// instead. Screenshots go to $EWALLET_SCREENSHOTS (default
// /tmp/ewallet-screenshots); with -update (or EWALLET_UPDATE_SCREENS=1)
// the main ones are also written to docs/screens/ for the README.
package browsertest
