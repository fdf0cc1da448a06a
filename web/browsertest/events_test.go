package browsertest

import "github.com/chromedp/cdproto/page"

// pageLoad is the event a navigation ends with.
var pageLoad = page.LoadEventFired
