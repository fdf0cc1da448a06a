package emvqr_test

import (
	"bytes"
	"errors"
	"image/png"
	"testing"

	"github.com/ewallet/ewallet/emvqr"
)

func TestPNG(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload string
		size    int
	}{
		{"Smallest", dynamicString, emvqr.MinPNGSize},
		{"Odd", staticString, 301},
		{"Large", dynamicString, 1024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := emvqr.PNG(tc.payload, tc.size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if r := img.Bounds(); r.Dx() != tc.size || r.Dy() != tc.size {
				t.Errorf("image is %dx%d, want %dx%d", r.Dx(), r.Dy(), tc.size, tc.size)
			}
			// A QR code has both dark and light modules; the corners are
			// light (quiet zone) and the finder pattern's corner is dark.
			dark, light := 0, 0
			for y := 0; y < tc.size; y += 4 {
				for x := 0; x < tc.size; x += 4 {
					if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
						dark++
					} else {
						light++
					}
				}
			}
			if dark == 0 || light == 0 {
				t.Errorf("image has %d dark and %d light samples, want both", dark, light)
			}
			if r, _, _, _ := img.At(0, 0).RGBA(); r < 0x8000 {
				t.Error("corner is dark: no quiet zone")
			}
		})
	}
}

func TestPNGErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload string
		size    int
		kind    error
	}{
		{"TooSmall", dynamicString, emvqr.MinPNGSize - 1, emvqr.ErrInvalid},
		{"Zero", dynamicString, 0, emvqr.ErrInvalid},
		{"Negative", dynamicString, -5, emvqr.ErrInvalid}, // the library would pick a size itself
		{"TooLarge", dynamicString, emvqr.MaxPNGSize + 1, emvqr.ErrInvalid},
		{"NotAPayload", "https://example.com", 256, emvqr.ErrMalformed},
		{"BadCRC", dynamicString[:len(dynamicString)-1] + "5", 256, emvqr.ErrChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := emvqr.PNG(tc.payload, tc.size)
			if !errors.Is(err, tc.kind) || b != nil {
				t.Errorf("PNG = %d bytes, %v; want %v", len(b), err, tc.kind)
			}
		})
	}
}
