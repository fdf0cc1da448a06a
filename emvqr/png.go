package emvqr

import (
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// Image size bounds for PNG, in pixels.
const (
	// MinPNGSize gives a typical payload (about 140 bytes: a version-8
	// symbol, 49 modules plus the quiet zone) about 4.5 pixels a module,
	// which a phone camera reads from a till's screen.
	MinPNGSize = 256
	// MaxPNGSize bounds the memory one request can make us spend (the
	// image is size² bytes before compression).
	MaxPNGSize = 4096
)

// PNG renders payload as a square PNG QR code of size×size pixels, with
// medium error correction (15% of the symbol may be lost: a smudged or
// partly covered till display still scans) and the standard 4-module
// quiet zone. The text goes in byte mode as UTF-8 without an ECI header,
// which is what scanners assume for EMVCo codes. The payload must decode
// (see Decode): a till should never show a code the payer's app will
// refuse, and checking here turns that into an error when the payment is
// created. Errors are *Error, like the rest of the package.
func PNG(payload string, size int) ([]byte, error) {
	if size < MinPNGSize || size > MaxPNGSize {
		return nil, fail("", ErrInvalid, "image size "+strconv.Itoa(size)+" px is outside "+
			strconv.Itoa(MinPNGSize)+"–"+strconv.Itoa(MaxPNGSize))
	}
	if _, err := Decode(payload); err != nil {
		return nil, err
	}
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		// Our own payloads stay far below the 2331 bytes a symbol holds at
		// medium correction, but one padded with skipped fields may not.
		return nil, fail("", ErrInvalid, "payload does not fit in a QR code: "+err.Error())
	}
	// The largest symbol (177 modules + quiet zone) is narrower than
	// MinPNGSize, so the library never silently enlarges the image.
	return q.PNG(size)
}
